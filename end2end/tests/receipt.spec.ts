import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { grantConsent, impersonate, open, signIn } from "./helpers";

test("the member reads support's session in plain words and downloads its receipt", async ({ browser }) => {
  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await signIn(member, "mia@example.com");
  await grantConsent(member);
  await open(member, "/projects");
  await member.getByLabel("New project name").fill("Receipt orchard");
  await member.getByRole("button", { name: "Create project" }).click();
  await expect(member.getByRole("row", { name: /Receipt orchard/ })).toBeVisible();

  // Support views two pages (Profile by the menu, Projects loaded anew) and renames the project.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, "ada@example.com");
  await impersonate(admin, "Mia Member", "TICKET-7007 receipt please");
  await admin.getByRole("link", { name: "Profile", exact: true }).click();
  await expect(admin.getByRole("heading", { name: "Profile" })).toBeVisible();
  await open(admin, "/projects");
  const project = admin.getByRole("row", { name: /Receipt orchard/ });
  await project.getByLabel("New name for Receipt orchard").fill("Receipt apple orchard");
  await project.getByRole("button", { name: "Rename" }).click();
  await expect(admin.getByRole("row", { name: /Receipt apple orchard/ })).toBeVisible();
  await admin.getByRole("button", { name: "Exit impersonation" }).click();
  await expect(admin).toHaveURL(/\/admin\/users/);

  await open(member, "/settings/impersonation");
  const sessions = member.getByRole("region", { name: "Sessions" });
  const session = sessions.getByRole("row", { name: /TICKET-7007 receipt please/ });
  await expect(session).toContainText("exited");
  await session.getByRole("button", { name: "Show audit log" }).click();
  const log = sessions.getByRole("list", { name: "Audit log of this session" });
  const lines = log.locator(":scope > li");
  await expect(log.getByText("Viewed Profile", { exact: true })).toBeVisible();
  // Once as opened, once as the rename's post came back to it.
  await expect(log.getByText("Viewed Projects", { exact: true })).toHaveCount(2);
  const renamed = lines.filter({ hasText: "Renamed project “Receipt orchard” to “Receipt apple orchard”" });
  await expect(renamed).toHaveCount(1);
  // The requests the pages made by themselves are folded and counted, not listed as deeds.
  await expect(log.getByText(/requests? the page made by itself/).first()).toBeVisible();
  await expect(log.getByText("Kept the page up to date", { exact: true })).toHaveCount(0);
  await expect(log.getByText("GET /api/live → 200").first()).toBeHidden();
  // The request behind the rename is one click away (a form post, answered by sending the
  // browser back to its page).
  await expect(renamed.getByText("POST /api/rename_project → 302")).toBeHidden();
  await renamed.getByText("Details", { exact: true }).click();
  await expect(renamed.getByText("POST /api/rename_project → 302")).toBeVisible();
  await expect(renamed).toContainText('sent name = "Receipt apple orchard"');

  const [download] = await Promise.all([
    member.waitForEvent("download"),
    session.getByRole("link", { name: "Download receipt" }).click(),
  ]);
  const sessionId = /sessions\/(\d+)\//.exec(download.url())![1];
  expect(download.suggestedFilename()).toBe(`actas-session-${sessionId}-receipt.json`);
  const file = (await download.path())!;
  const receipt = JSON.parse(await readFile(file, "utf8"));
  expect(receipt.receipt).toBe("Actas session receipt");
  expect(receipt.session.end_reason).toBe("exited");
  const events = receipt.events as { seq: number; canonical: string; hash: string; sentence: string }[];
  expect(events.map((event) => event.sentence)).toContain("Renamed project “Receipt orchard” to “Receipt apple orchard”");
  for (const event of events) {
    expect(JSON.parse(event.canonical)[0]).toBe(event.seq);
    expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
  }
  expect(receipt.chain_head.seq).toBeGreaterThanOrEqual(events[events.length - 1].seq);

  // The operator's command holds the log to the receipt the member kept.
  const said = execFileSync("target/debug/actas", ["verify-receipt", file], {
    cwd: "..",
    env: { ...process.env, DATABASE_URL: "sqlite://target/e2e/actas.db", RUST_LOG: "warn" },
    encoding: "utf8",
  });
  expect(said).toContain("receipt holds");

  await memberContext.close();
  await adminContext.close();
});
