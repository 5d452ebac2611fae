// Where each kind of resource lives in the fleet repository.
//   clusters/<env>/media-nodes/<node>.yaml
//   clusters/<env>/schools/<school>/school.yaml
//   clusters/<env>/schools/<school>/nvrs/<nvr>.yaml
//   clusters/<env>/schools/<school>/faceid/<device>.yaml

export const FLEET_KINDS = ['MediaNode', 'School', 'Nvr', 'FaceIdDevice'] as const;
export type FleetKind = (typeof FLEET_KINDS)[number];

export interface Place {
  env: string;
  kind: FleetKind;
  /** The school folder the file sits in, for school-scoped kinds. */
  school?: string;
}

const NAME = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const PLACES: { pattern: RegExp; kind: FleetKind }[] = [
  { pattern: new RegExp(`^clusters/(${NAME})/media-nodes/${NAME}\\.ya?ml$`), kind: 'MediaNode' },
  { pattern: new RegExp(`^clusters/(${NAME})/schools/(${NAME})/school\\.ya?ml$`), kind: 'School' },
  { pattern: new RegExp(`^clusters/(${NAME})/schools/(${NAME})/nvrs/${NAME}\\.ya?ml$`), kind: 'Nvr' },
  { pattern: new RegExp(`^clusters/(${NAME})/schools/(${NAME})/faceid/${NAME}\\.ya?ml$`), kind: 'FaceIdDevice' },
];

/** The kind a file's path says it holds, or null when the path is outside the layout. */
export function placeOf(path: string): Place | null {
  for (const { pattern, kind } of PLACES) {
    const m = pattern.exec(path);
    if (!m) continue;
    const place: Place = { env: m[1]!, kind };
    if (kind !== 'MediaNode') place.school = m[3]!;
    return place;
  }
  return null;
}

export const fleetPath = {
  mediaNode: (env: string, node: string) => `clusters/${env}/media-nodes/${node}.yaml`,
  school: (env: string, school: string) => `clusters/${env}/schools/${school}/school.yaml`,
  nvr: (env: string, school: string, nvr: string) => `clusters/${env}/schools/${school}/nvrs/${nvr}.yaml`,
  faceIdDevice: (env: string, school: string, device: string) => `clusters/${env}/schools/${school}/faceid/${device}.yaml`,
};
