import { TerminalError, WorkQueue } from './queue.js';

const options = { concurrency: 2, baseDelayMs: 1, maxDelayMs: 4 };

describe('WorkQueue', () => {
  it('merges repeats of a key that is still waiting', async () => {
    const runs: string[] = [];
    const queue = new WorkQueue(async (key) => void runs.push(key), { ...options, concurrency: 1 });
    queue.add('a');
    queue.add('b');
    queue.add('b');
    queue.add('b');
    await queue.idle();
    expect(runs).toEqual(['a', 'b']);
  });

  it('runs a key added while it runs once more afterwards, never twice at a time', async () => {
    const runs: string[] = [];
    let concurrent = 0;
    let most = 0;
    const queue = new WorkQueue(async (key) => {
      concurrent++;
      most = Math.max(most, concurrent);
      runs.push(key);
      if (runs.length === 1) {
        queue.add('a');
        queue.add('a');
      }
      await new Promise((resolve) => setImmediate(resolve));
      concurrent--;
    }, options);
    queue.add('a');
    await queue.idle();
    expect([runs, most]).toEqual([['a', 'a'], 1]);
  });

  it('runs at most `concurrency` keys at once', async () => {
    let concurrent = 0;
    let most = 0;
    const queue = new WorkQueue(async () => {
      most = Math.max(most, ++concurrent);
      await new Promise((resolve) => setImmediate(resolve));
      concurrent--;
    }, options);
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
    await queue.idle();
    expect(most).toBe(2);
  });

  it('retries a failure with exponential backoff capped at maxDelayMs, then forgets the failures on success', async () => {
    const delays: Array<number | undefined> = [];
    let attempts = 0;
    const done = new Promise<void>((resolve) => {
      const queue = new WorkQueue(
        async () => {
          if (++attempts <= 4) throw new Error('conflict');
          resolve();
        },
        { ...options, onError: (_key, _error, retryInMs) => delays.push(retryInMs) },
      );
      queue.add('a');
    });
    await done;
    expect([attempts, delays]).toEqual([5, [1, 2, 4, 4]]);
  });

  it('does not retry a TerminalError and reports its reason', async () => {
    const reported: Array<[string, string, number | undefined]> = [];
    let attempts = 0;
    const queue = new WorkQueue(
      async () => {
        attempts++;
        throw new TerminalError('InvalidConfig', 'paths.x: unknown key');
      },
      { ...options, onError: (key, error, retryInMs) => reported.push([key, (error as TerminalError).reason, retryInMs]) },
    );
    queue.add('node/a');
    await queue.idle();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect([attempts, reported]).toEqual([1, [['node/a', 'InvalidConfig', undefined]]]);
  });

  it('runs nothing after stop, neither pending keys nor scheduled retries', async () => {
    const runs: string[] = [];
    const queue = new WorkQueue(async (key) => {
      runs.push(key);
      if (key === 'a') throw new Error('retry me');
    }, { ...options, concurrency: 1 });
    queue.add('a');
    queue.add('b');
    queue.stop();
    queue.add('c');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(runs).toEqual(['a']);
  });
});

describe('TerminalError', () => {
  it('carries a CamelCase reason beside its message and is an Error', () => {
    const error = new TerminalError('ShardTooLarge', 'the sealed config is 2000000 bytes');
    expect([error instanceof Error, error.reason, error.message]).toEqual([true, 'ShardTooLarge', 'the sealed config is 2000000 bytes']);
  });
});

describe('WorkQueue.processed', () => {
  it('waits for the given keys to finish a run, whatever else keeps arriving', async () => {
    const runs: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new WorkQueue(async (key) => {
      if (key === 'a') await gate;
      runs.push(key);
    }, { ...options, concurrency: 1 });
    queue.add('a');
    queue.add('b');
    let resolved = false;
    const done = queue.processed(['a', 'unknown']).then(() => (resolved = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect([resolved, runs]).toEqual([false, []]);
    release();
    await done;
    expect(runs[0]).toBe('a');
    await queue.idle();
  });

  it('resolves at once when none of the keys is waiting or running', async () => {
    const queue = new WorkQueue(async () => undefined, options);
    await expect(queue.processed(['x'])).resolves.toBeUndefined();
  });
});
