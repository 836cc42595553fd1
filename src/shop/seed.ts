import type { PrismaClient } from '../store/prisma.ts';
import type { Prisma } from '../generated/prisma/client.ts';

const DAY_MS = 86_400_000;

const CUSTOMERS = [
  { id: 'cus_1001', email: 'alice@example.com', name: 'Alice Martin' },
  { id: 'cus_1002', email: 'bruno@example.de', name: 'Bruno Keller' },
  { id: 'cus_1003', email: 'chen.wei@example.cn', name: 'Chen Wei' },
];

/** Demo orders, one of each situation the actions meet; dates are relative to the first start. */
function demoOrders(now: number): Prisma.ShopOrderCreateManyInput[] {
  const day = (offset: number) => new Date(now + offset * DAY_MS);
  const date = (offset: number) => new Date(day(offset).toISOString().slice(0, 10));
  const tracking = (carrier: string, number: string) => ({ carrier, trackingNumber: number, trackingUrl: `https://tracking.example.com/${carrier.toLowerCase()}/${number}` });
  return [
    { number: '48213', customerId: 'cus_1001', status: 'processing', items: [{ name: 'Blue desk lamp', quantity: 1 }], totalCents: 4990, currency: 'EUR', shippingAddress: 'Alice Martin, 12 Rue des Lilas, 75011 Paris, France', expectedDelivery: date(4), placedAt: day(-1) },
    { number: '48231', customerId: 'cus_1001', status: 'shipped', items: [{ name: 'Linen cushion cover', quantity: 2 }], totalCents: 3580, currency: 'EUR', shippingAddress: 'Alice Martin, 12 Rue des Lilas, 75011 Paris, France', ...tracking('DHL', '00340434161094042557'), expectedDelivery: date(2), placedAt: day(-3) },
    { number: '48190', customerId: 'cus_1001', status: 'delivered', items: [{ name: 'Ceramic vase', quantity: 1 }], totalCents: 2900, currency: 'EUR', shippingAddress: 'Alice Martin, 12 Rue des Lilas, 75011 Paris, France', ...tracking('DHL', '00340434161094011223'), expectedDelivery: date(-6), refundStatus: 'requested', placedAt: day(-12) },
    { number: 'NW-2024-0042', customerId: 'cus_1002', status: 'shipped', items: [{ name: 'Oak bookshelf', quantity: 1 }], totalCents: 18900, currency: 'EUR', shippingAddress: 'Bruno Keller, Hauptstraße 5, 10115 Berlin, Deutschland', ...tracking('UPS', '1Z999AA10123456784'), expectedDelivery: date(3), placedAt: day(-2) },
    { number: '51022', customerId: 'cus_1002', status: 'cancelled', items: [{ name: 'Wool throw', quantity: 1 }], totalCents: 6500, currency: 'EUR', shippingAddress: 'Bruno Keller, Hauptstraße 5, 10115 Berlin, Deutschland', refundStatus: 'refunded', placedAt: day(-20) },
    { number: '60315', customerId: 'cus_1003', status: 'processing', items: [{ name: 'Tea set', quantity: 1 }, { name: 'Bamboo tray', quantity: 1 }], totalCents: 8800, currency: 'CNY', shippingAddress: '陈伟, 上海市浦东新区世纪大道 100 号, 200120', expectedDelivery: date(5), placedAt: day(0) },
    { number: '60322', customerId: 'cus_1003', status: 'delivered', items: [{ name: 'Floor lamp', quantity: 1 }], totalCents: 39900, currency: 'CNY', shippingAddress: '陈伟, 上海市浦东新区世纪大道 100 号, 200120', ...tracking('SF', 'SF1234567890123'), expectedDelivery: date(-2), refundStatus: 'processing', placedAt: day(-9) },
  ];
}

/** Adds the demo customers and orders that are missing; what a demo changed (a cancellation) stays. */
export async function seedReferenceShop(prisma: PrismaClient, now = Date.now()): Promise<void> {
  await prisma.$transaction([
    prisma.shopCustomer.createMany({ data: CUSTOMERS, skipDuplicates: true }),
    prisma.shopOrder.createMany({ data: demoOrders(now), skipDuplicates: true }),
  ]);
}
