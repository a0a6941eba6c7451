// The RuntimeClass printer: NAME, HANDLER, AGE as kubectl prints them.
import type { RuntimeClass } from 'kubernetes-types/node/v1';
import { age, ageCol, col, meta, nameCol, type Printer } from './common';

export const runtimeClassPrinter: Printer = {
  columns: [nameCol, col('Handler', 'Handler is the name of the underlying runtime and configuration.'), ageCol],
  cells(obj, now) {
    return [meta(obj).name ?? '', (obj as unknown as RuntimeClass).handler ?? '', age(obj, now)];
  },
};
