// CRI labels and annotations the agent puts on sandboxes and containers. They are how a restarted
// agent re-adopts what it created (no duplicates) and tells its own objects from anyone else's on a
// shared containerd. The io.kubernetes.* keys are kubelet's, so tools that know kubelet's labels work.
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** Which agent (node) owns the object; objects without it are never touched. */
export const LABEL_NODE = 'steer.io/node-name';
/** 'init' or 'regular'. */
export const LABEL_CONTAINER_KIND = 'steer.io/container-kind';
/** Hash of the container's spec: a changed spec restarts the container, as in kubelet. */
export const LABEL_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_GRACE_PERIOD = 'io.kubernetes.pod.terminationGracePeriod';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
