import type { ActionRequest, ActionResponse, ActionVariables } from '../actions/protocol.ts';
import type { PrismaClient } from '../store/prisma.ts';
import type { ShopOrder } from '../generated/prisma/client.ts';

/** What the reference shop can do, each answered at POST /shop/actions/<name>. */
export const SHOP_ACTIONS = ['track_order', 'cancel_order', 'refund_status', 'change_address'] as const;
export type ShopAction = (typeof SHOP_ACTIONS)[number];

export function isShopAction(name: string): name is ShopAction {
  return (SHOP_ACTIONS as readonly string[]).includes(name);
}

/** Only reads: calling them twice is harmless, so the action client may retry them. */
export const IDEMPOTENT_SHOP_ACTIONS: ReadonlySet<ShopAction> = new Set(['track_order', 'refund_status']);

const answer = (template: string, variables: ActionVariables = {}): ActionResponse => ({ type: 'answer', template, variables });
const askFor = (slot: string): ActionResponse => ({ type: 'ask_slot', slot, variables: {} });
const confirm = (template: string, variables: ActionVariables): ActionResponse => ({ type: 'confirm', template, variables });

/** A slot as typed ("#48213", 48213, " nw-2024-0042 ", "NW 2024 0042") → the shop's order number. */
function orderNumber(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const number = String(value).trim().replace(/^#\s*/, '').replace(/\s+/g, '-').toUpperCase();
  return number === '' ? null : number;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** Whose orders the request may see: the verified customer's, or (no identity) those placed with the given e-mail. */
function orderOwner(request: ActionRequest): { id: string } | { email: string } | null {
  if (request.customer?.id) return { id: request.customer.id };
  const email = request.customer?.email ?? text(request.slots.email);
  return email ? { email: email.toLowerCase() } : null;
}

function orderVariables(order: ShopOrder): ActionVariables {
  const items = order.items as Array<{ name: string; quantity: number }>;
  return {
    order_number: order.number,
    status: order.status,
    items: items.map((item) => `${item.quantity} × ${item.name}`).join(', '),
    carrier: order.carrier,
    tracking_number: order.trackingNumber,
    tracking_url: order.trackingUrl,
    expected_date: order.expectedDelivery?.toISOString().slice(0, 10) ?? null,
    shipping_address: order.shippingAddress,
    refund_status: order.refundStatus,
    total: (order.totalCents / 100).toFixed(2),
    currency: order.currency,
  };
}

/**
 * The demo shop's answers to the bot's actions. Every action first finds the order, and only the
 * customer's own: by the verified customer id when the bot knows who the customer is, otherwise
 * by the order number together with the e-mail address the order was placed with. An order that
 * does not exist and someone else's order get the same answer.
 */
export class ReferenceShop {
  constructor(private readonly prisma: PrismaClient) {}

  async handle(action: ShopAction, request: ActionRequest): Promise<ActionResponse> {
    const number = orderNumber(request.slots.order_number);
    if (number === null) return askFor('order_number');
    const owner = orderOwner(request);
    if (owner === null) return askFor('email');
    const order = await this.prisma.shopOrder.findFirst({ where: { number, customer: owner } });
    if (!order) return answer('order_not_found', { order_number: number });
    switch (action) {
      case 'track_order':
        return answer(`order_${order.status}`, orderVariables(order));
      case 'refund_status':
        return answer(order.refundStatus ? `refund_${order.refundStatus}` : 'refund_none', orderVariables(order));
      case 'cancel_order':
        return this.cancel(order, request.confirmed);
      case 'change_address':
        return this.changeAddress(order, text(request.slots.address), request.confirmed);
    }
  }

  /**
   * Cancels an order not yet shipped, once the visitor confirmed; asking again for a cancelled
   * order says it is cancelled, and a shipped one cannot be (nothing to confirm then).
   */
  private async cancel(order: ShopOrder, confirmed: boolean): Promise<ActionResponse> {
    if (order.status === 'cancelled') return answer('cancel_already_done', orderVariables(order));
    if (order.status !== 'processing') return answer('cancel_too_late', orderVariables(order));
    if (!confirmed) return confirm('cancel_confirm', orderVariables(order));
    // Conditional on the status, so that a shipment recorded meanwhile is never cancelled.
    const { count } = await this.prisma.shopOrder.updateMany({
      where: { number: order.number, status: 'processing' },
      data: { status: 'cancelled', expectedDelivery: null, refundStatus: 'processing' },
    });
    const current = await this.prisma.shopOrder.findUniqueOrThrow({ where: { number: order.number } });
    if (count === 1) return answer('cancel_done', orderVariables(current));
    return answer(current.status === 'cancelled' ? 'cancel_already_done' : 'cancel_too_late', orderVariables(current));
  }

  private async changeAddress(order: ShopOrder, address: string | null, confirmed: boolean): Promise<ActionResponse> {
    if (order.status !== 'processing') return answer('address_too_late', orderVariables(order));
    if (address === null) return askFor('address');
    if (!confirmed) return confirm('address_confirm', { ...orderVariables(order), new_address: address });
    const { count } = await this.prisma.shopOrder.updateMany({ where: { number: order.number, status: 'processing' }, data: { shippingAddress: address } });
    const current = await this.prisma.shopOrder.findUniqueOrThrow({ where: { number: order.number } });
    return answer(count === 1 ? 'address_changed' : 'address_too_late', orderVariables(current));
  }
}
