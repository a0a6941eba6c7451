// Admission webhooks: the configurations followed from storage (configurations.ts), which webhooks a
// request reaches (../matching.ts, shared with the policy plugin), the AdmissionReview and its answer (review.ts), the HTTPS call
// (client.ts) and the two plugins' dispatch (dispatcher.ts).
export { WebhookAdmission } from './dispatcher';
export { WebhookConfigurations } from './configurations';
