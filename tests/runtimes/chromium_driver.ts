/**
 * Drives Debian's Chromium through the test page with Playwright and prints what the page shows,
 * as JSON on stdout, for tests/runtimes/browser_test.ts to check:
 *
 *   deno run -A tests/runtimes/chromium_driver.ts <page url> <screenshot.png>
 *
 * A process of its own because playwright-core's start-up reads /proc/sys (a WSL check), which
 * Deno grants only with --allow-all; the tests themselves keep their narrower permissions.
 *
 * @module
 */
import { chromium } from "playwright-core";
import { CHROMIUM } from "./_build.ts";

// A fresh profile, headless, and none of Chromium's own connections (the network is closed).
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** One row of the page's table, with the exact values from its data attributes. */
export interface Row {
  id: string;
  quantity: string;
  computed: number[];
  expected: number[];
  rtol: number;
  atol: number;
  ok: boolean;
}

/** What the page showed. */
export interface Report {
  browser: string;
  status: { kind: string; text: string };
  rows: Row[];
  printed: string;
  kernel: Record<string, string>[];
  errors: string[];
}

// The little of the DOM read here (the tests type-check without the DOM library; the functions
// passed to the page run there, on real elements, and must not refer to anything outside them).
interface El {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelector(selector: string): El | null;
}
type PageGlobal = { document: { getElementById(id: string): El | null } };

async function drive(url: string, screenshot: string): Promise<Report> {
  const profile = await Deno.makeTempDir({ prefix: "gradtape_chromium_" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1000, height: 800 },
  });
  try {
    const errors: string[] = [];
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("response", (r) => {
      if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console error: ${m.text()}`);
    });
    await page.goto(url);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as PageGlobal).document.getElementById("status")?.dataset.status !==
          "running",
      undefined,
      { timeout: 90_000 },
    );
    const status = await page.locator("#status").evaluate((e) => {
      const el = e as unknown as El;
      return { kind: el.dataset.status ?? "", text: el.textContent ?? "" };
    });
    const rows: Row[] = await page.locator("#results tbody tr").evaluateAll((trs) =>
      trs.map((tr) => {
        const el = tr as unknown as El, d = el.dataset;
        return {
          id: d.id ?? "",
          quantity: el.querySelector("td")?.textContent ?? "",
          computed: JSON.parse(d.computed ?? "[]"),
          expected: JSON.parse(d.expected ?? "[]"),
          rtol: Number(d.rtol),
          atol: Number(d.atol),
          ok: d.ok === "true",
        };
      })
    );
    const printed = (await page.locator("#printed").textContent()) ?? "";
    const kernel: Record<string, string>[] = await page.locator("#kernel li").evaluateAll((lis) =>
      lis.map((li) => {
        const el = li as unknown as El;
        return { ...el.dataset, text: el.textContent ?? "" } as Record<string, string>;
      })
    );
    await page.screenshot({ path: screenshot, fullPage: true });
    return { browser: context.browser()?.version() ?? "", status, rows, printed, kernel, errors };
  } finally {
    await context.close();
    await Deno.remove(profile, { recursive: true });
  }
}

if (import.meta.main) {
  const [url, screenshot] = Deno.args;
  if (!url || !screenshot) {
    console.error(
      "usage: deno run -A tests/runtimes/chromium_driver.ts <page url> <screenshot.png>",
    );
    Deno.exit(2);
  }
  console.log(JSON.stringify(await drive(url, screenshot)));
  Deno.exit(0);
}
