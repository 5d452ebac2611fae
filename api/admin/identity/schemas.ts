// Request and response shapes of the account lifecycle routes; the OpenAPI document is generated from them.
import { z } from 'zod';
import { account, resourceId, role } from '../schemas.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './login-throttle.js';

export const accountParams = z.object({ accountId: z.uuid('must be an account id (UUID)') });

export const changePasswordRequest = z
  .object({
    currentPassword: z.string().min(1, 'required').max(1024),
    newPassword: z
      .string()
      .min(PASSWORD_MIN_LENGTH, `at least ${PASSWORD_MIN_LENGTH} characters`)
      .max(PASSWORD_MAX_LENGTH, `at most ${PASSWORD_MAX_LENGTH} characters`),
  })
  .strict()
  .meta({ id: 'ChangePasswordRequest' });

export const totpEnrolment = z
  .object({ totpUri: z.string().describe('otpauth:// URI of the offered second factor, for an authenticator app (a QR code); shown once.') })
  .meta({ id: 'TotpEnrolment' });

export const confirmTotpRequest = z
  .object({ code: z.string().regex(/^[0-9]{6}$/, 'must be the 6 digits the authenticator shows') })
  .strict()
  .meta({ id: 'ConfirmTotpRequest' });

export const updateAccountRequest = z
  .object({
    role: role.optional(),
    schools: z.array(resourceId('school')).max(1000).optional(),
  })
  .strict()
  .refine((v) => v.role !== undefined || v.schools !== undefined, 'give role, schools or both')
  .meta({ id: 'UpdateAccountRequest' });

export const revoked = z
  .object({
    sessions: z.array(z.string()).describe('Sessions ended: their refresh tokens stop at once, their access tokens at expiry.'),
    agentTokens: z.array(z.string()).describe('Agent tokens the account issued that were revoked.'),
  })
  .meta({ id: 'Revoked' });

export const accountChange = z.object({ account, revoked }).meta({ id: 'AccountChange' });

export const resetCredentials = z
  .object({
    account,
    initialPassword: z.string().describe('Shown once; the holder must change it at next login.'),
    revoked,
  })
  .meta({ id: 'ResetCredentials' });
