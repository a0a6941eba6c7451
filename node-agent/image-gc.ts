// The kubelet's image garbage collector (images/image_gc_manager.go): every 5 min, when the image
// filesystem is fuller than the high threshold (85 %), images no container uses are removed, least
// recently used first and none younger than the minimum age (2 min) since first seen, until usage is
// down to the low threshold (80 %); pinned images and the sandbox image are never removed. The eviction
// manager asks it to free what it can before evicting pods for disk pressure. A pass that cannot free
// enough says so with a FreeDiskSpaceFailed event on the Node. planImageGc is the pure part.
import type { ObservedPod } from './observed';
import type { ContainerRuntime, RuntimeImage } from './runtime/runtime';

export interface ImageGcPolicy {
  highThresholdPercent: number;
  lowThresholdPercent: number;
  minAgeMs: number;
}

export const DefaultImageGcPolicy: ImageGcPolicy = { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 2 * 60_000 };

/** Checks the kubelet's rules for the thresholds; throws naming the flag. */
export function validateImageGcPolicy(p: ImageGcPolicy): void {
  if (p.highThresholdPercent < 0 || p.highThresholdPercent > 100) throw new Error(`--image-gc-high-threshold must be between 0 and 100, got ${p.highThresholdPercent}`);
  if (p.lowThresholdPercent < 0 || p.lowThresholdPercent > 100) throw new Error(`--image-gc-low-threshold must be between 0 and 100, got ${p.lowThresholdPercent}`);
  if (p.lowThresholdPercent > p.highThresholdPercent) throw new Error(`--image-gc-low-threshold (${p.lowThresholdPercent}) must not be above --image-gc-high-threshold (${p.highThresholdPercent})`);
}

/** When an image was first seen and last seen in use (the kubelet's imageRecord). */
export interface ImageRecord {
  firstDetected: number;
  lastUsed: number;
}

/** Whether a container's image (as it names it, and the reference the runtime resolved) is this image. */
export function imageMatches(image: RuntimeImage, name: string, ref: string): boolean {
  if (ref && (ref === image.id || image.repoDigests.includes(ref) || ref.split('@')[1] === image.id)) return true;
  return image.repoTags.includes(name);
}

/**
 * The images to remove to free `bytesToFree`: not in use, not protected, at least minAge old, least
 * recently used first (then the first seen first); with what they free and whether that is enough.
 */
export function planImageRemoval(images: RuntimeImage[], inUse: (i: RuntimeImage) => boolean, records: Map<string, ImageRecord>, now: number, minAgeMs: number, bytesToFree: number): { remove: RuntimeImage[]; freed: number; enough: boolean } {
  const candidates = images
    .filter((i) => !i.pinned && !inUse(i))
    .filter((i) => now - (records.get(i.id)?.firstDetected ?? now) >= minAgeMs)
    .sort((a, b) => (records.get(a.id)?.lastUsed ?? 0) - (records.get(b.id)?.lastUsed ?? 0) || (records.get(a.id)?.firstDetected ?? 0) - (records.get(b.id)?.firstDetected ?? 0) || a.id.localeCompare(b.id));
  const remove: RuntimeImage[] = [];
  let freed = 0;
  for (const i of candidates) {
    if (freed >= bytesToFree) break;
    remove.push(i);
    freed += i.sizeBytes;
  }
  return { remove, freed, enough: freed >= bytesToFree };
}

/** Bytes to free to bring the filesystem from its usage down to the low threshold (0 below the high one). */
export function bytesAboveLowThreshold(fs: { capacity: number; available: number }, p: ImageGcPolicy): number {
  if (fs.capacity <= 0) return 0;
  const usagePercent = 100 - Math.floor((fs.available * 100) / fs.capacity);
  if (usagePercent < p.highThresholdPercent) return 0;
  return Math.max(0, Math.ceil(fs.capacity - fs.available - (fs.capacity * p.lowThresholdPercent) / 100));
}

export interface ImageGcHost {
  runtime: ContainerRuntime;
  /** Every pod the runtime holds (running or exited containers keep their images). */
  observed(): Iterable<ObservedPod>;
  /** The image filesystem's capacity and what is free. */
  filesystem(): { capacity: number; available: number };
  /** Images never removed (the sandbox image), by the name they are pulled as. */
  protectedImages: string[];
  /** A pass could not free what it should have: reported on the Node. */
  failed(message: string): void;
  log(msg: string): void;
}

export class ImageGarbageCollector {
  private readonly records = new Map<string, ImageRecord>();

  constructor(
    private readonly policy: ImageGcPolicy,
    private readonly host: ImageGcHost,
  ) {}

  /** Lists the images and updates first-seen and last-used times; resolves with the list and the in-use test. */
  private async detect(now: number): Promise<{ images: RuntimeImage[]; inUse: (i: RuntimeImage) => boolean }> {
    const images = await this.host.runtime.listImages();
    const used: { name: string; ref: string }[] = [];
    for (const p of this.host.observed()) for (const c of p.containers) used.push({ name: c.image, ref: c.imageRef });
    const inUse = (i: RuntimeImage) => this.host.protectedImages.some((name) => i.repoTags.includes(name)) || used.some((u) => imageMatches(i, u.name, u.ref));
    const present = new Set<string>();
    for (const i of images) {
      present.add(i.id);
      const r = this.records.get(i.id) ?? { firstDetected: now, lastUsed: 0 };
      if (inUse(i)) r.lastUsed = now;
      this.records.set(i.id, r);
    }
    for (const id of [...this.records.keys()]) if (!present.has(id)) this.records.delete(id);
    return { images, inUse };
  }

  /** Removes unused images until `bytesToFree` are freed (or none is left to remove); resolves with the bytes freed. */
  async freeSpace(bytesToFree: number, now = Date.now()): Promise<{ freed: number; enough: boolean }> {
    const { images, inUse } = await this.detect(now);
    if (bytesToFree <= 0) return { freed: 0, enough: true };
    const plan = planImageRemoval(images, inUse, this.records, now, this.policy.minAgeMs, bytesToFree);
    let freed = 0;
    for (const i of plan.remove) {
      try {
        await this.host.runtime.removeImage(i.id);
        this.records.delete(i.id);
        freed += i.sizeBytes;
        this.host.log(`image garbage collection: removed ${i.repoTags[0] ?? i.id} (${i.sizeBytes} bytes)`);
      } catch (err) {
        this.host.log(`image garbage collection: removing ${i.repoTags[0] ?? i.id} failed: ${(err as Error).message}`);
      }
    }
    return { freed, enough: freed >= bytesToFree };
  }

  /** One periodic pass: frees space down to the low threshold when usage is over the high one. */
  async collect(now = Date.now()): Promise<{ freed: number; enough: boolean }> {
    const toFree = bytesAboveLowThreshold(this.host.filesystem(), this.policy);
    const r = await this.freeSpace(toFree, now);
    if (!r.enough) this.host.failed(`Failed to garbage collect required amount of images. Attempted to free ${toFree} bytes, but only found ${r.freed} bytes eligible to free.`);
    return r;
  }

  /** Frees whatever unused images it may (the eviction manager's reclaim before a disk eviction). */
  async freeAll(now = Date.now()): Promise<number> {
    return (await this.freeSpace(Number.MAX_SAFE_INTEGER, now)).freed;
  }
}
