// The webhook configuration printer: NAME, WEBHOOKS (how many the configuration holds), AGE, as
// kubectl prints Mutating- and ValidatingWebhookConfigurations.
import { age, ageCol, col, meta, nameCol, type Printer } from './common';

export const webhookConfigurationPrinter: Printer = {
  columns: [nameCol, col('Webhooks', 'Webhooks indicates the number of webhooks registered in this configuration', 0, 'integer'), ageCol],
  cells(obj, now) {
    const webhooks = obj.webhooks;
    return [meta(obj).name ?? '', Array.isArray(webhooks) ? webhooks.length : 0, age(obj, now)];
  },
};
