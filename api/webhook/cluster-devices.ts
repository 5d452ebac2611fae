// The device directory in a cluster: FaceIdDevice and School resources of the fleet namespace, kept by informers.
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { GROUP, VERSION, type FaceIdDevice, type School } from '../../crds/index.js';
import { ResourceInformer } from '../../lib/kube/index.js';
import type { Logger } from '../../lib/log/logger.js';
import { InMemoryDeviceDirectory, type FaceIdDeviceRecord } from './devices.js';

type Device = FaceIdDevice & KubernetesObject;
type SchoolObject = School & KubernetesObject;

/** Each device joined with its School; a device whose School is not there yet is left out until it is. */
export function deviceRecords(devices: readonly Device[], schools: readonly SchoolObject[]): FaceIdDeviceRecord[] {
  const byName = new Map(schools.map((s) => [s.metadata!.name!, s]));
  return devices.flatMap((d) => {
    const school = byName.get(d.spec.schoolRef);
    if (!school) return [];
    return [
      {
        schoolId: school.metadata!.name!,
        deviceId: d.metadata!.name!,
        vendor: d.spec.vendor,
        direction: d.spec.direction,
        serialNumber: d.spec.serialNumber,
        timezone: school.spec.timezone,
        ...(school.spec.faceIdSourceAddresses ? { sourceAddresses: school.spec.faceIdSourceAddresses } : {}),
      },
    ];
  });
}

export class ClusterDevices {
  readonly directory = InMemoryDeviceDirectory.create();
  private readonly devices: ResourceInformer<Device>;
  private readonly schools: ResourceInformer<SchoolObject>;

  private constructor(kc: KubeConfig, namespace: string, logger: Logger) {
    const objects = kc.makeApiClient(CustomObjectsApi);
    const list = <T extends KubernetesObject>(plural: string) => () =>
      objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural }) as Promise<KubernetesListObject<T>>;
    const path = (plural: string) => `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`;
    const changed = () => this.directory.replace(deviceRecords(this.devices.list(), this.schools.list()));
    this.devices = new ResourceInformer<Device>(kc, path('faceiddevices'), list<Device>('faceiddevices'), changed, logger);
    this.schools = new ResourceInformer<SchoolObject>(kc, path('schools'), list<SchoolObject>('schools'), changed, logger);
  }

  /** Lists both kinds and keeps watching; resolves once the directory holds the complete fleet. */
  static async start(deps: { kc: KubeConfig; namespace: string; logger: Logger }): Promise<ClusterDevices> {
    const devices = new ClusterDevices(deps.kc, deps.namespace, deps.logger);
    await Promise.all([devices.devices.start(), devices.schools.start()]);
    devices.directory.replace(deviceRecords(devices.devices.list(), devices.schools.list()));
    return devices;
  }

  async stop(): Promise<void> {
    await Promise.all([this.devices.stop(), this.schools.stop()]);
  }
}
