import { z } from 'zod';
import type { VerifiedCustomer } from '../identity/customer-token.ts';

// What frontdesk sends to a company's action webhook and what it accepts back. Shops written in
// TypeScript can validate with these schemas; others follow docs in README (Actions).

/** Action, slot, template and variable names: lower snake case, as in the catalogue. */
export const identifierSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be lower snake case (a-z, 0-9, _), at most 64 characters');

/** The verified identity of the customer (from a signed customer token), never what a visitor typed. */
export const actionCustomerSchema = z.object({
  id: z.string().min(1).optional(),
  email: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
});

export const actionRequestSchema = z.object({
  action: identifierSchema,
  intent: z.string().min(1),
  /** What the dialogue collected: slot name → the entity's value. */
  slots: z.record(z.string(), z.json()),
  customer: actionCustomerSchema.nullable(),
  conversationId: z.string().min(1),
  language: z.string().min(1),
  /**
   * true only after the visitor said yes to the shop's `confirm` response. A request that would
   * change something (cancel, new address) and is not confirmed should answer `confirm` with what
   * it would do, and change nothing.
   */
  confirmed: z.boolean().default(false),
});

const variablesSchema = z.record(identifierSchema, z.union([z.string(), z.number(), z.boolean(), z.null()])).default({});

/**
 * The shop's decision: answer with one of the intent's templates, ask for a slot, ask the visitor
 * to confirm (a template that asks yes or no; a yes calls the action again with `confirmed: true`),
 * or hand over.
 */
export const actionResponseSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('answer'), template: identifierSchema, variables: variablesSchema }),
  z.object({ type: z.literal('ask_slot'), slot: identifierSchema, variables: variablesSchema }),
  z.object({ type: z.literal('confirm'), template: identifierSchema, variables: variablesSchema }),
  z.object({ type: z.literal('handoff'), reason: z.string().max(500).optional(), variables: variablesSchema }),
]);

export type ActionCustomer = z.infer<typeof actionCustomerSchema>;
export type ActionRequest = z.output<typeof actionRequestSchema>;
/** What a caller may send: `confirmed` defaults to false. */
export type ActionRequestInput = z.input<typeof actionRequestSchema>;
export type ActionResponse = z.infer<typeof actionResponseSchema>;
export type ActionVariables = ActionResponse['variables'];

/** The verified claims an action may see; absent ones are left out rather than sent as null. */
export function actionCustomer(customer: VerifiedCustomer | null): ActionCustomer | null {
  if (!customer) return null;
  return { id: customer.id, ...(customer.email ? { email: customer.email } : {}), ...(customer.name ? { name: customer.name } : {}) };
}
