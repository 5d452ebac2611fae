// Reads a branch's files through a host's tree and blob endpoints; blobs are content-addressed, so a cache never goes stale.

export interface TreeEntry {
  path: string;
  type: string;
  sha: string;
}

const CONCURRENCY = 8;
const CACHE_LIMIT = 50_000;

export class BlobCache {
  private readonly texts = new Map<string, string>();

  async read(sha: string, fetchBlob: (sha: string) => Promise<string>): Promise<string> {
    const hit = this.texts.get(sha);
    if (hit !== undefined) return hit;
    const text = await fetchBlob(sha);
    if (this.texts.size >= CACHE_LIMIT) this.texts.delete(this.texts.keys().next().value!);
    this.texts.set(sha, text);
    return text;
  }
}

export async function readSelectedBlobs(
  entries: TreeEntry[],
  select: (path: string) => boolean,
  cache: BlobCache,
  fetchBlob: (sha: string) => Promise<string>,
): Promise<Map<string, string>> {
  const wanted = entries.filter((e) => e.type === 'blob' && select(e.path)).sort((a, b) => a.path.localeCompare(b.path));
  const files = new Map<string, string>();
  for (let i = 0; i < wanted.length; i += CONCURRENCY) {
    const batch = wanted.slice(i, i + CONCURRENCY);
    const texts = await Promise.all(batch.map((e) => cache.read(e.sha, fetchBlob)));
    batch.forEach((e, j) => files.set(e.path, texts[j]!));
  }
  return files;
}

export const decodeBlob = (blob: { content: string; encoding?: string }): string =>
  blob.encoding === 'utf-8' || blob.encoding === 'utf8' ? blob.content : Buffer.from(blob.content, 'base64').toString('utf8');
