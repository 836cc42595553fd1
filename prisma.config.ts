import { defineConfig } from 'prisma/config';

// The CLI only generates the client here; migrations are applied by `frontdesk migrate`
// (or `prisma migrate deploy` where Prisma's native schema engine is available).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://frontdesk@127.0.0.1:5432/frontdesk' },
});
