// Storage kept in memory only: for unit and integration tests, and `steer apiserver` without --data-dir.
import { EngineOptions, StorageEngine } from './engine';

export class MemoryStorage extends StorageEngine {
  constructor(opts: EngineOptions = {}) {
    super(opts);
  }
}
