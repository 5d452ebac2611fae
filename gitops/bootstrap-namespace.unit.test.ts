// The bootstrap and every component agree on the fleet's namespace, or the operator and API see an empty fleet.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { apiConfig } from '../api/admin/config.js';
import { FLEET_NAMESPACE } from '../crds/index.js';
import { defaultControllerConfig } from '../operator/controller/fleet-controller.js';

const docs = async (file: string) =>
  parseAllDocuments(await readFile(join(import.meta.dirname, 'bootstrap', file), 'utf8')).map((d) => d.toJS() as Record<string, any>);

it('puts the fleet where the operator and the API look by default', async () => {
  const flux = (await docs('flux/kustomizations.yaml')).filter((d) => d.metadata.name.startsWith('posbon-fleet'));
  const argo = (await docs('argocd/applications.yaml')).filter((d) => d.kind === 'Application' && d.metadata.name.startsWith('posbon-fleet'));
  expect({
    flux: flux.map((d) => d.spec.targetNamespace),
    argo: argo.map((d) => d.spec.destination.namespace),
    operator: defaultControllerConfig().fleetNamespace,
    api: apiConfig({}).fleetNamespace,
  }).toEqual({ flux: [FLEET_NAMESPACE], argo: [FLEET_NAMESPACE], operator: FLEET_NAMESPACE, api: FLEET_NAMESPACE });
});
