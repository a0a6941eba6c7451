import type { ObservedPod } from './observed';
import { bytesAboveLowThreshold, DefaultImageGcPolicy, ImageGarbageCollector, imageMatches, planImageRemoval, validateImageGcPolicy } from './image-gc';
import { FakeRuntime } from './runtime/fake-runtime';
import type { RuntimeImage } from './runtime/runtime';

const Mi = 1024 * 1024;
const img = (id: string, tag: string, size = 10 * Mi, pinned = false): RuntimeImage => ({ id, repoTags: [tag], repoDigests: [`${tag.split(':')[0]}@${id}`], sizeBytes: size, pinned });

describe('image garbage collection, pure', () => {
  it('frees down to the low threshold once usage reaches the high one', () => {
    expect(bytesAboveLowThreshold({ capacity: 1000, available: 200 }, DefaultImageGcPolicy)).toBe(0); // 80 %
    expect(bytesAboveLowThreshold({ capacity: 1000, available: 150 }, DefaultImageGcPolicy)).toBe(50); // 85 % → 80 %
    expect(bytesAboveLowThreshold({ capacity: 0, available: 0 }, DefaultImageGcPolicy)).toBe(0);
  });

  it('removes unused, unpinned images at least minAge old, least recently used first, until enough', () => {
    const images = [img('sha256:a', 'a:1', 30), img('sha256:b', 'b:1', 30), img('sha256:c', 'c:1', 30), img('sha256:p', 'pause:3.9', 30, true), img('sha256:u', 'u:1', 30), img('sha256:n', 'new:1', 30)];
    const records = new Map([
      ['sha256:a', { firstDetected: 0, lastUsed: 500 }],
      ['sha256:b', { firstDetected: 0, lastUsed: 100 }],
      ['sha256:c', { firstDetected: 0, lastUsed: 0 }],
      ['sha256:p', { firstDetected: 0, lastUsed: 0 }],
      ['sha256:u', { firstDetected: 0, lastUsed: 900 }],
      ['sha256:n', { firstDetected: 950, lastUsed: 0 }],
    ]);
    const inUse = (i: RuntimeImage) => i.id === 'sha256:u';
    expect(planImageRemoval(images, inUse, records, 1000, 100, 50)).toEqual({ remove: [images[2], images[1]], freed: 60, enough: true });
    // Everything eligible is not enough: the young, the pinned and the used one stay.
    expect(planImageRemoval(images, inUse, records, 1000, 100, 1000)).toEqual({ remove: [images[2], images[1], images[0]], freed: 90, enough: false });
  });

  it("a container's image matches by reference, digest or the name it was asked by", () => {
    const i = img('sha256:abc', 'nginx:1.22');
    expect(imageMatches(i, 'other', 'sha256:abc')).toBe(true);
    expect(imageMatches(i, 'other', 'nginx@sha256:abc')).toBe(true);
    expect(imageMatches(i, 'nginx:1.22', '')).toBe(true);
    expect(imageMatches(i, 'redis:7', 'redis@sha256:def')).toBe(false);
  });

  it("checks the kubelet's rules for the thresholds", () => {
    expect(() => validateImageGcPolicy({ ...DefaultImageGcPolicy, lowThresholdPercent: 90 })).toThrow('--image-gc-low-threshold (90) must not be above --image-gc-high-threshold (85)');
    expect(() => validateImageGcPolicy({ ...DefaultImageGcPolicy, highThresholdPercent: 101 })).toThrow('--image-gc-high-threshold must be between 0 and 100');
  });
});

describe('ImageGarbageCollector on the fake runtime', () => {
  it('keeps images in use and the protected ones, removes the least recently used when the disk is full, and reports a shortfall', async () => {
    const runtime = new FakeRuntime({ images: ['pause:3.9', 'nginx:1.22', 'old:1', 'older:1'] });
    runtime.setImageSize('old:1', 100 * Mi);
    runtime.setImageSize('older:1', 100 * Mi);
    const container = async (name: string, image: string) => ({ id: name, name, image, imageRef: `${image.split(':')[0]}@${await runtime.imageStatus(image)}` }) as ObservedPod['containers'][number];
    const nginx = await container('web', 'nginx:1.22');
    let observed: ObservedPod[] = [{ uid: 'u', sandboxes: [], containers: [nginx, await container('job', 'old:1')] }];
    let available = 900 * Mi;
    const failures: string[] = [];
    const gc = new ImageGarbageCollector(
      { ...DefaultImageGcPolicy, minAgeMs: 0 },
      { runtime, observed: () => observed, filesystem: () => ({ capacity: 1000 * Mi, available }), protectedImages: ['pause:3.9'], failed: (m) => failures.push(m), log: () => undefined },
    );
    // 10 % used: nothing to do, but old:1 is seen in use now.
    expect(await gc.collect(900)).toEqual({ freed: 0, enough: true });
    expect(await runtime.listImages()).toHaveLength(4);
    // Its container is gone; 90 % used: 100 MiB to free (down to 80 %), the least recently used goes.
    observed = [{ uid: 'u', sandboxes: [], containers: [nginx] }];
    available = 100 * Mi;
    expect(await gc.collect(1000)).toEqual({ freed: 100 * Mi, enough: true });
    expect((await runtime.listImages()).map((i) => i.repoTags[0]).sort()).toEqual(['nginx:1.22', 'old:1', 'pause:3.9']);
    // Fuller still: the last unused one goes, and what cannot be freed is reported.
    available = 10 * Mi;
    expect(await gc.collect(2000)).toEqual({ freed: 100 * Mi, enough: false });
    expect((await runtime.listImages()).map((i) => i.repoTags[0]).sort()).toEqual(['nginx:1.22', 'pause:3.9']);
    expect(failures).toEqual([`Failed to garbage collect required amount of images. Attempted to free ${190 * Mi} bytes, but only found ${100 * Mi} bytes eligible to free.`]);
  });
});
