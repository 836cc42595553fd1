-- The reference shop (src/shop): a demo shop's customers and orders, seeded at start while
-- REFERENCE_SHOP is on, answering the bot's actions over a signed webhook.

-- CreateEnum
CREATE TYPE "ShopOrderStatus" AS ENUM ('processing', 'shipped', 'delivered', 'cancelled');

-- CreateEnum
CREATE TYPE "ShopRefundStatus" AS ENUM ('requested', 'processing', 'refunded');

-- CreateTable
CREATE TABLE "ShopCustomer" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ShopCustomer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ShopOrder" (
    "number" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "status" "ShopOrderStatus" NOT NULL,
    "items" JSONB NOT NULL,
    "totalCents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "shippingAddress" TEXT NOT NULL,
    "carrier" TEXT,
    "trackingNumber" TEXT,
    "trackingUrl" TEXT,
    "expectedDelivery" DATE,
    "refundStatus" "ShopRefundStatus",
    "placedAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ShopOrder_pkey" PRIMARY KEY ("number")
);

-- CreateIndex
CREATE UNIQUE INDEX "ShopCustomer_email_key" ON "ShopCustomer"("email");

-- CreateIndex
CREATE INDEX "ShopOrder_customerId_idx" ON "ShopOrder"("customerId");

-- AddForeignKey
ALTER TABLE "ShopOrder" ADD CONSTRAINT "ShopOrder_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "ShopCustomer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
