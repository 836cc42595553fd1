// The setting of a test of the agent console in Chromium: a server on a fresh embedded Postgres with
// one agent, a headless Chromium page, and signing in.
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../../src/server.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { createAgent, testPrisma } from '../agents/helpers.ts';
import { launchChromium } from './browser.ts';
import { startTestServer, temporaryDirectory } from './server.ts';

/** Where console tests leave their screenshots. */
export const SCREENSHOTS = 'test-output/screenshots';

export interface ConsoleTest {
  server: RunningServer;
  /** The server's DATA_DIR (its embedded Postgres: embeddedDatabaseUrl). */
  dataDir: string;
  prisma: PrismaClient;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export const CONSOLE_AGENT = { email: 'ann@example.com', name: 'Ann Agent', password: 'ann password 1' };

/** The server (with `env`), the agent CONSOLE_AGENT, and a page of `viewport` whose waits time out after `timeout` ms. */
export async function startConsoleTest(options: { timeout: number; viewport: { width: number; height: number }; env?: Record<string, string> }): Promise<ConsoleTest> {
  const dataDir = temporaryDirectory();
  const { server } = await startTestServer({ DATA_DIR: dataDir.path, ...options.env });
  const prisma = testPrisma(dataDir.path);
  await createAgent(prisma, CONSOLE_AGENT);
  const browser = await launchChromium({ timeout: options.timeout });
  const page = await browser.newPage({ viewport: options.viewport, acceptDownloads: true });
  page.setDefaultTimeout(options.timeout);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    server, dataDir: dataDir.path, prisma, browser, page,
    async close() {
      await browser.close();
      await prisma.$disconnect();
      await server.close();
      dataDir.remove();
    },
  };
}

/** Opens /console, signs in as CONSOLE_AGENT and waits for the app. */
export async function signInToConsole(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/console`);
  await page.fill('#login-email', CONSOLE_AGENT.email);
  await page.fill('#login-password', CONSOLE_AGENT.password);
  await page.click('#login-submit');
  await page.waitForSelector('#app:not([hidden])');
}
