import { expiredSessions, type MediaSession } from './session-expiry.js';

const session = (id: string, user: string, created = '2026-11-29T08:00:00Z'): MediaSession => ({ kind: 'webrtc', id, created, user, path: 'school-a/gate/entrance' });

describe('expiredSessions', () => {
  it('picks the sessions whose token expiry, carried in the subject, has passed', () => {
    const now = new Date('2026-11-29T08:05:00Z');
    const at = now.getTime() / 1000;
    const sessions = [session('past', `acc-1@${at - 1}`), session('now', `acc-1@${at}`), session('later', `acc-2@${at + 1}`)];
    expect(expiredSessions(sessions, now).map((s) => s.id)).toEqual(['past', 'now']);
  });

  it('ends a session without an expiry once it is as old as the longest token', () => {
    const sessions = [session('old', 'someone', '2026-11-29T08:00:00Z'), session('young', 'someone', '2026-11-29T08:00:01Z')];
    expect(expiredSessions(sessions, new Date('2026-11-29T08:05:00Z')).map((s) => s.id)).toEqual(['old']);
  });
});
