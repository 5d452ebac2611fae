// The fleet as the API answers it: plans and views built once per change, so a request is a map lookup.
import type { Condition, MediaNode, School } from '../../../crds/index.js';
import {
  publishedCameras,
  planFleet,
  schoolPlacement,
  type FleetPlan,
  type SchoolPlacement,
} from '../../../operator/core/index.js';
import type { CameraView, MediaNodeView, NvrView, SchoolView } from '../schemas.js';
import type { FleetSource } from './source.js';

export interface CameraEntry {
  view: CameraView;
  /** Paths a viewer token grants for this camera: its own, and its H.264 WebRTC fallback when there is one. */
  paths: string[];
  /** The path WHEP should play (the fallback when the main stream is H.265). */
  webrtcPath: string;
}

/** A FaceID terminal as its push credentials need it: its vendor and serial, and where its school pushes from. */
export interface FaceIdDeviceEntry {
  schoolId: string;
  deviceId: string;
  vendor: 'hikvision' | 'zkteco' | 'dahua';
  direction: 'in' | 'out' | 'both';
  serialNumber: string;
  schoolSourceAddresses: string[];
}

/** How the probe sidecar names an NVR (`<namespace>/<name>`) and the ports it declares. */
export interface NvrProbeTarget {
  key: string;
  namespace: string;
  rtspPort: number;
  onvifPort?: number;
}

interface Snapshot {
  schools: Map<string, SchoolView>;
  schoolList: SchoolView[];
  nvrs: Map<string, NvrView>;
  nvrsBySchool: Map<string, NvrView[]>;
  cameras: Map<string, CameraEntry>;
  camerasBySchool: Map<string, CameraView[]>;
  nodes: Map<string, MediaNodeView>;
  nodeList: MediaNodeView[];
  probeTargets: Map<string, NvrProbeTarget>;
  schoolNamespaces: Map<string, string>;
  faceIdDevices: Map<string, FaceIdDeviceEntry>;
}

const conditionsOf = (status: { conditions?: Condition[] | undefined } | undefined) =>
  (status?.conditions ?? []).map((c) => ({ ...c }));

/** The operator's status says where the gateway connects; the plan fills in before the operator has written it. */
function tunnelView(s: School, planned: SchoolPlacement['tunnel'], plan: FleetPlan): SchoolView['tunnel'] {
  const t = s.status?.tunnel ?? planned;
  if (!t) return null;
  const status = s.status?.tunnel;
  const nodeAddress = plan.shards.get(t.mediaNode)?.tunnel?.address.split('/')[0] ?? null;
  return {
    mediaNode: t.mediaNode,
    address: t.address,
    nodeAddress,
    endpoint: t.endpoint,
    nodePublicKey: status?.nodePublicKey ?? null,
    lastHandshake: status?.lastHandshake ?? null,
  };
}

const readyOf = (node: MediaNode): 'True' | 'False' | 'Unknown' =>
  node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';

export class FleetView {
  private snapshot: Snapshot = FleetView.build({ nodes: [], schools: [], nvrs: [] });
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly source: FleetSource,
    private readonly debounceMs: number,
  ) {
    source.onChange(() => this.schedule());
    if (source.isSynced()) this.rebuild();
  }

  static create(deps: { source: FleetSource; debounceMs?: number }): FleetView {
    return new FleetView(deps.source, deps.debounceMs ?? 50);
  }

  isSynced(): boolean {
    return this.source.isSynced();
  }

  /** Builds now, skipping the debounce (after the first load, and in tests). */
  rebuild(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.snapshot = FleetView.build(this.source.fleet());
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  school(id: string): SchoolView | undefined {
    return this.snapshot.schools.get(id);
  }
  schools(): readonly SchoolView[] {
    return this.snapshot.schoolList;
  }
  nvr(id: string): NvrView | undefined {
    return this.snapshot.nvrs.get(id);
  }
  nvrsOf(schoolId: string): readonly NvrView[] {
    return this.snapshot.nvrsBySchool.get(schoolId) ?? [];
  }
  camera(id: string): CameraEntry | undefined {
    return this.snapshot.cameras.get(id);
  }
  camerasOf(schoolId: string): readonly CameraView[] {
    return this.snapshot.camerasBySchool.get(schoolId) ?? [];
  }
  node(id: string): MediaNodeView | undefined {
    return this.snapshot.nodes.get(id);
  }
  nodes(): readonly MediaNodeView[] {
    return this.snapshot.nodeList;
  }
  /** The probe sidecar's name and ports of an NVR. */
  probeTargetOf(nvrId: string): NvrProbeTarget | undefined {
    return this.snapshot.probeTargets.get(nvrId);
  }
  /** The namespace a school's resources live in. */
  /** A FaceIdDevice of a school, by its name. */
  faceIdDevice(schoolId: string, deviceId: string): FaceIdDeviceEntry | undefined {
    return this.snapshot.faceIdDevices.get(`${schoolId}/${deviceId}`);
  }

  namespaceOf(schoolId: string): string | undefined {
    return this.snapshot.schoolNamespaces.get(schoolId);
  }
  /** The timezone of a school, for attendance days. */
  timezoneOf(schoolId: string): string | undefined {
    return this.snapshot.schools.get(schoolId)?.timezone;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.rebuild(), this.debounceMs);
    this.timer.unref();
  }

  /** Devices keyed `<school>/<name>`; a device naming a school that does not exist, or in another namespace, is left out. */
  private static faceIdDevicesOf(fleet: ReturnType<FleetSource['fleet']>, schools: Map<string, School>): Map<string, FaceIdDeviceEntry> {
    const devices = new Map<string, FaceIdDeviceEntry>();
    for (const d of fleet.faceIdDevices ?? []) {
      const school = schools.get(d.spec.schoolRef);
      if (!school || (school.metadata.namespace ?? '') !== (d.metadata.namespace ?? school.metadata.namespace ?? '')) continue;
      devices.set(`${d.spec.schoolRef}/${d.metadata.name}`, {
        schoolId: d.spec.schoolRef,
        deviceId: d.metadata.name,
        vendor: d.spec.vendor,
        direction: d.spec.direction,
        serialNumber: d.spec.serialNumber,
        schoolSourceAddresses: [...(school.spec.faceIdSourceAddresses ?? [])],
      });
    }
    return devices;
  }

  private static build(fleet: ReturnType<FleetSource['fleet']>): Snapshot {
    const plan: FleetPlan = planFleet(fleet);
    const schools = new Map<string, SchoolView>();
    const schoolObjects = new Map<string, School>();
    const schoolNamespaces = new Map<string, string>();
    const probeTargets = new Map<string, NvrProbeTarget>();
    for (const s of [...fleet.schools].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      const placement = schoolPlacement(s, plan);
      // The operator's status says what is deployed; the plan fills in before the operator has written it.
      const mediaNode = s.status?.mediaNode ?? placement.mediaNode ?? null;
      schools.set(s.metadata.name, {
        id: s.metadata.name,
        displayName: s.spec.displayName,
        region: s.spec.region,
        timezone: s.spec.timezone,
        networkMode: s.spec.networkMode,
        mediaNode,
        allowlistIPs: s.status?.allowlistIPs ?? placement.allowlistIPs,
        cameraCount: s.status?.cameraCount ?? placement.cameraCount,
        tunnel: tunnelView(s, placement.tunnel, plan),
        conditions: conditionsOf(s.status),
      });
      schoolObjects.set(s.metadata.name, s);
      if (s.metadata.namespace) schoolNamespaces.set(s.metadata.name, s.metadata.namespace);
    }
    const nvrs = new Map<string, NvrView>();
    const nvrsBySchool = new Map<string, NvrView[]>();
    const cameras = new Map<string, CameraEntry>();
    const camerasBySchool = new Map<string, CameraView[]>();
    for (const n of [...fleet.nvrs].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      const schoolId = n.spec.schoolRef;
      if (!schools.has(schoolId)) continue;
      const views: CameraView[] = [];
      for (const c of publishedCameras(n)) {
        const view: CameraView = {
          id: `${schoolId}.${n.metadata.name}.${c.camera}`,
          schoolId,
          nvrId: n.metadata.name,
          name: c.name,
          path: c.path,
          codec: c.codec ?? null,
        };
        views.push(view);
        cameras.set(view.id, {
          view,
          paths: c.webrtcFallback ? [c.path, c.webrtcFallback.path] : [c.path],
          webrtcPath: c.webrtcFallback?.path ?? c.path,
        });
      }
      const reach = n.status?.reachability;
      const view: NvrView = {
        id: n.metadata.name,
        schoolId,
        vendor: n.spec.vendor,
        publicHost: n.spec.publicHost ?? null,
        publicRtspPort: n.spec.publicRtspPort,
        mediaNode: n.status?.mediaNode ?? schools.get(schoolId)?.mediaNode ?? null,
        reachability: reach ? { reachable: reach.reachable, reason: reach.reason, node: reach.node, checkedAt: reach.checkedAt } : null,
        conditions: conditionsOf(n.status),
        cameras: views,
      };
      nvrs.set(view.id, view);
      const namespace = n.metadata.namespace ?? schoolNamespaces.get(schoolId) ?? 'posbon-fleet';
      probeTargets.set(view.id, {
        key: `${namespace}/${n.metadata.name}`,
        namespace,
        rtspPort: n.spec.publicRtspPort,
        ...(n.spec.publicOnvifPort !== undefined ? { onvifPort: n.spec.publicOnvifPort } : {}),
      });
      nvrsBySchool.set(schoolId, [...(nvrsBySchool.get(schoolId) ?? []), view]);
      camerasBySchool.set(schoolId, [...(camerasBySchool.get(schoolId) ?? []), ...views]);
    }
    const nodes = new Map<string, MediaNodeView>();
    for (const node of [...fleet.nodes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      const shard = plan.shards.get(node.metadata.name);
      nodes.set(node.metadata.name, {
        id: node.metadata.name,
        region: node.spec.region,
        egressIPs: [...node.spec.egressIPs],
        webrtcBaseUrl: node.spec.webrtcBaseUrl,
        hlsBaseUrl: node.spec.hlsBaseUrl,
        capacityWeight: node.spec.capacityWeight,
        maxCameras: node.spec.maxCameras,
        cordoned: node.spec.cordoned,
        schoolCount: node.status?.schoolCount ?? shard?.schools.length ?? 0,
        cameraCount: node.status?.cameraCount ?? shard?.cameraCount ?? 0,
        ready: readyOf(node),
        conditions: conditionsOf(node.status),
      });
    }
    return {
      schools,
      schoolList: [...schools.values()],
      nvrs,
      nvrsBySchool,
      cameras,
      camerasBySchool,
      nodes,
      nodeList: [...nodes.values()],
      probeTargets,
      schoolNamespaces,
      faceIdDevices: FleetView.faceIdDevicesOf(fleet, schoolObjects),
    };
  }
}
