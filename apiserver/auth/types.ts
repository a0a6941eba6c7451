// The request pipeline's seams, as kube-apiserver's k8s.io/apiserver defines them: who is asking
// (authentication → UserInfo), may they (authorization → Decision), and may this object be written as
// it is (admission). Every authenticator, authorizer and admission plugin implements one of these.
import type { IncomingMessage } from 'node:http';
import type { ResourceType } from '../../lib/api/resources';
import type { KObj } from '../storage/types';

/** user.Info: the identity a request runs as. */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const Anonymous = 'system:anonymous';
export const AllUnauthenticated = 'system:unauthenticated';
export const AllAuthenticated = 'system:authenticated';
export const SystemPrivilegedGroup = 'system:masters';

/**
 * One way of proving who you are (client certificate, bearer token, ...). Answers the user, or
 * undefined when the request carries no credential of this kind; throws AuthenticationError when it
 * carries one that is not valid (the request then gets 401 whatever the other authenticators say).
 */
export interface Authenticator {
  authenticate(req: IncomingMessage): Promise<UserInfo | undefined> | UserInfo | undefined;
}

export class AuthenticationError extends Error {}

/** authorizer.Attributes: what a request wants to do, in the terms RBAC rules are written in. */
export interface Attributes {
  user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection; for non-resource URLs the lower-case HTTP method. */
  verb: string;
  resourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  path: string;
  namespace: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  name: string;
}

export type Decision = 'allow' | 'deny' | 'noOpinion';

export interface AuthorizationResult {
  decision: Decision;
  /** Why (shown after the Forbidden message when denied). */
  reason?: string;
}

export interface Authorizer {
  authorize(a: Attributes): Promise<AuthorizationResult> | AuthorizationResult;
}

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** admission.Attributes: one write as admission plugins see it. */
export interface AdmissionAttributes {
  operation: AdmissionOperation;
  rt: ResourceType;
  subresource: string;
  namespace: string;
  name: string;
  user: UserInfo;
  /** The object as it will be stored (CREATE, UPDATE); mutating plugins change it in place. */
  object?: KObj;
  /** The stored object (UPDATE, DELETE). */
  oldObject?: KObj;
  dryRun: boolean;
  /** The apiserver's own write (no client asked for it). */
  internal?: boolean;
  /** The write's field manager (the options admission webhooks are sent). */
  fieldManager?: string;
  /** Warnings to send back in Warning headers (PodSecurity's warn mode). */
  warnings: string[];
  /** Audit annotations (PodSecurity's audit mode). */
  auditAnnotations: Record<string, string>;
}

/**
 * An admission plugin: `admit` may change the object (mutating phase, before validation), `validate`
 * may only refuse (after validation). Both refuse by throwing an ApiStatusError (usually 403 Forbidden).
 */
export interface AdmissionPlugin {
  readonly name: string;
  admit?(a: AdmissionAttributes): Promise<void> | void;
  validate?(a: AdmissionAttributes): Promise<void> | void;
}
