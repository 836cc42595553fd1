import { z } from 'zod';

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
});

const variablesSchema = z.record(identifierSchema, z.union([z.string(), z.number(), z.boolean(), z.null()])).default({});

/** The shop's decision: answer with one of the intent's templates, ask for a slot, or hand over. */
export const actionResponseSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('answer'), template: identifierSchema, variables: variablesSchema }),
  z.object({ type: z.literal('ask_slot'), slot: identifierSchema, variables: variablesSchema }),
  z.object({ type: z.literal('handoff'), reason: z.string().max(500).optional(), variables: variablesSchema }),
]);

export type ActionCustomer = z.infer<typeof actionCustomerSchema>;
export type ActionRequest = z.infer<typeof actionRequestSchema>;
export type ActionResponse = z.infer<typeof actionResponseSchema>;
export type ActionVariables = ActionResponse['variables'];
