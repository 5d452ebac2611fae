// Which objects of a fleet the plan may use: a spec the shells cannot act on is left out, with the reason why.
import type { Nvr, School } from '../../crds/index.js';
import type { Fleet } from './fleet.js';

/** Why an object was left out of the plan; it reads as a Ready=False condition and a Stalled one. */
export interface Rejection {
  reason: string;
  message: string;
}

export interface AdmissionOptions {
  /** Whether an NVR's credentials Secret holds a username and a password; unknown (not checked) when unset. */
  hasCredentials?: (nvr: Nvr) => boolean;
  /** The namespace the credentials Secrets live in, named in the message. */
  namespace?: string;
}

export interface AdmittedFleet {
  fleet: Fleet;
  /** Left-out objects by `School/<name>` and `Nvr/<name>`. */
  rejected: Map<string, Rejection>;
}

const timezones = new Map<string, boolean>();

/** Whether the runtime knows the IANA time zone; results are kept, as the set of zones never changes in a process. */
export function isValidTimezone(tz: string): boolean {
  let valid = timezones.get(tz);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      valid = true;
    } catch {
      valid = false;
    }
    timezones.set(tz, valid);
  }
  return valid;
}

export const schoolRejection = (school: School): Rejection | undefined =>
  isValidTimezone(school.spec.timezone) ? undefined : { reason: 'InvalidTimezone', message: `spec.timezone ${school.spec.timezone} is not an IANA time zone` };

/** The fleet the operator, `gitops render` and the API all plan over. */
export function admitFleet(fleet: Fleet, options: AdmissionOptions = {}): AdmittedFleet {
  const rejected = new Map<string, Rejection>();
  const schools = fleet.schools.filter((school) => {
    const rejection = schoolRejection(school);
    if (rejection) rejected.set(`School/${school.metadata.name}`, rejection);
    return !rejection;
  });
  const { hasCredentials } = options;
  const nvrs = hasCredentials
    ? fleet.nvrs.filter((nvr) => {
        if (hasCredentials(nvr)) return true;
        const where = options.namespace ? ` in ${options.namespace}` : '';
        rejected.set(`Nvr/${nvr.metadata.name}`, {
          reason: 'CredentialsMissing',
          message: `Secret ${nvr.spec.credentialsSecretRef.name} with keys username and password not found${where}`,
        });
        return false;
      })
    : fleet.nvrs;
  if (rejected.size === 0) return { fleet, rejected };
  return { fleet: { ...fleet, schools, nvrs }, rejected };
}
