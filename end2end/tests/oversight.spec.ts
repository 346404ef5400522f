import { test, expect } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { shortBase } from "../playwright.config";
import { expectBackInOwnView, grantConsent, impersonate, open, signIn, screenshot } from "./helpers";

test("after an admin acted on a project, the member sees the session, its actions and both exports", async ({ browser }) => {
  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await signIn(member, "mia@example.com");
  await grantConsent(member);
  await open(member, "/projects");
  await member.getByLabel("New project name").fill("Mia's orchard");
  await member.getByRole("button", { name: "Create project" }).click();
  await expect(member.getByRole("row", { name: /Mia's orchard/ })).toBeVisible();

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, "ada@example.com");
  await impersonate(admin, "Mia Member", "TICKET-5150 orchard name wrong");
  await open(admin, "/projects");
  const project = admin.getByRole("row", { name: /Mia's orchard/ });
  await project.getByLabel("New name for Mia's orchard").fill("Mia's apple orchard");
  await project.getByRole("button", { name: "Rename" }).click();
  await expect(admin.getByRole("row", { name: /Mia's apple orchard/ })).toBeVisible();
  await admin.getByRole("button", { name: "Exit impersonation" }).click();
  await expect(admin).toHaveURL(/\/admin\/users/);

  await open(member, "/settings/impersonation");
  const sessions = member.getByRole("region", { name: "Sessions" });
  const session = sessions.getByRole("row", { name: /TICKET-5150 orchard name wrong/ });
  await expect(session).toContainText("Ada Admin");
  await expect(session).toContainText("ada@example.com");
  await expect(session).toContainText("Full access");
  await expect(session).toContainText("exited");
  await session.getByRole("button", { name: "Show audit log" }).click();
  const log = sessions.getByRole("list", { name: "Audit log of this session" });
  await expect(log).toContainText("Renamed project “Mia's orchard” to “Mia's apple orchard”");
  await expect(log).toContainText("Mia's apple orchard");
  // A form post is answered by sending the browser back to its page.
  await expect(log).toContainText("POST /api/rename_project → 302");
  await expect(log).toContainText("GET /projects → 200");
  await screenshot(member, "member-history");

  const [csv] = await Promise.all([
    member.waitForEvent("download"),
    member.getByRole("link", { name: "Export audit log (CSV)" }).click(),
  ]);
  expect(csv.suggestedFilename()).toBe("actas-audit-log.csv");
  const csvText = await readFile((await csv.path())!, "utf8");
  expect(csvText.split("\n")[0]).toBe("seq,time_utc,kind,actor,subject,impersonation_id,method,path,status,detail,hash");
  expect(csvText).toContain("/api/rename_project");
  expect(csvText).toContain("TICKET-5150 orchard name wrong");

  const [json] = await Promise.all([
    member.waitForEvent("download"),
    member.getByRole("link", { name: "Export audit log (JSON)" }).click(),
  ]);
  const events = JSON.parse(await readFile((await json.path())!, "utf8"));
  const renamed = events.find((event: any) => event.kind === "project_renamed");
  expect(renamed.detail.to).toBe("Mia's apple orchard");
  expect(renamed.actor).toBe("Ada Admin <ada@example.com>");
  expect(events.every((event: any) => event.subject === "Mia Member <mia@example.com>")).toBe(true);

  await memberContext.close();
  await adminContext.close();
});

test("an owner gives Sam the grant, then removes it while he acts: his banner disappears", async ({ browser }) => {
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  await signIn(owner, "owner@example.com");
  await open(owner, "/admin/impersonators");
  await owner.getByLabel("Staff account").selectOption({ label: "Sam Staff (sam@example.com)" });
  await owner.getByRole("button", { name: "Grant" }).click();
  const sam = owner.getByRole("row", { name: /Sam Staff/ });
  await expect(sam).toContainText("Olivia Owner");
  await expect(sam).toContainText("Never");

  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await signIn(member, "max@example.com");
  await grantConsent(member);

  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  await signIn(staff, "sam@example.com");
  await impersonate(staff, "Max Member", "TICKET-6001 payout question");
  const banner = staff.getByRole("region", { name: "Impersonation" });
  await expect(banner).toContainText("You are impersonating Max Member (max@example.com)");

  await open(owner, "/admin/impersonators");
  await expect(sam).toContainText("1"); // one session
  await screenshot(owner, "impersonators");
  // Removing asks first; Cancel changes nothing and gives focus back to the button.
  await sam.getByRole("button", { name: "Remove Sam Staff" }).click();
  const ask = owner.getByRole("dialog", { name: "Remove Sam Staff" });
  await expect(ask).toContainText("Remove Sam Staff from the impersonators?");
  await ask.getByRole("button", { name: "Cancel" }).click();
  await expect(ask).toHaveCount(0);
  await expect(sam.getByRole("button", { name: "Remove Sam Staff" })).toBeFocused();
  await sam.getByRole("button", { name: "Remove Sam Staff" }).click();
  await ask.getByRole("button", { name: "Remove" }).click();
  await expect(owner.getByRole("row", { name: /Sam Staff/ })).toHaveCount(0);
  await expect(owner.getByRole("status").filter({ hasText: "Sam Staff can no longer impersonate members." })).toBeVisible();

  // The live channel tells Sam's open page at once; no reload needed.
  await expect(banner).toHaveCount(0, { timeout: 5_000 });
  await expectBackInOwnView(staff, "Your permission to impersonate was removed.");
  await expect(staff.getByRole("button", { name: "Impersonate user", exact: true })).toHaveCount(0);

  await ownerContext.close();
  await memberContext.close();
  await staffContext.close();
});

test("an admin searches the activity log by subject and pages back", async ({ browser, page }) => {
  // Enough events for a second page, whatever ran before.
  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await signIn(member, "mia@example.com");
  for (let n = 0; n < 51; n++) {
    const created = await member.request.post("/api/create_project", { form: { name: `Seedling ${n}` } });
    expect(created.status()).toBe(200);
  }
  await memberContext.close();

  await signIn(page, "ada@example.com");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
  await expect(page.getByRole("heading", { name: "Activity" })).toBeVisible();
  await page.getByLabel("Subject").fill("mia@example.com");
  await page.getByLabel("Kind").selectOption("project_renamed");
  await page.getByLabel("From (UTC)").fill(new Date().toISOString().slice(0, 10));
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/subject=mia%40example.com/);
  const rows = page.getByRole("table").getByRole("row");
  await expect(rows.nth(1)).toContainText("Mia Member <mia@example.com>");
  await expect(rows.nth(1)).toContainText("Renamed project");
  await expect(rows.nth(1)).toContainText("Ada Admin <ada@example.com>");
  await expect(rows.nth(1)).toContainText("Mia's apple orchard");
  for (const row of await rows.all()) {
    if (await row.getByRole("cell").count()) {
      await expect(row).toContainText("Mia Member <mia@example.com>");
    }
  }
  await screenshot(page, "activity");

  // Every event, a page at a time.
  await page.getByLabel("Subject").fill("");
  await page.getByLabel("Kind").selectOption("");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(rows).toHaveCount(51);
  const newestFirst = await rows.nth(1).textContent();
  await page.getByRole("link", { name: "Older events" }).click();
  await expect(page).toHaveURL(/before=\d+/);
  await expect(page.getByRole("link", { name: "Newest events" })).toBeVisible();
  await expect(rows.nth(1)).not.toHaveText(newestFirst!);
});

test.describe("on the second instance (its own database)", () => {
  test.use({ baseURL: shortBase });

  test("an owner suspends a member after confirming; the member is signed out", async ({ browser }) => {
    const memberContext = await browser.newContext();
    const member = await memberContext.newPage();
    await signIn(member, "mia@example.com");

    const ownerContext = await browser.newContext();
    const owner = await ownerContext.newPage();
    await signIn(owner, "owner@example.com");
    const row = owner.getByRole("row", { name: /Mia Member/ });
    await row.getByLabel("Actions for Mia Member").click();
    await row.getByRole("button", { name: "Suspend", exact: true }).click();
    const dialog = owner.getByRole("dialog", { name: "Suspend user" });
    await expect(dialog).toContainText("Suspend Mia Member (mia@example.com)?");
    await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
    await owner.keyboard.press("Escape");
    await expect(dialog).toHaveCount(0);
    await expect(row).toContainText("Active");

    await row.getByLabel("Actions for Mia Member").click();
    await row.getByRole("button", { name: "Suspend", exact: true }).click();
    await dialog.getByRole("button", { name: "Suspend", exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(row).toContainText("Suspended");

    await member.goto("/projects");
    await expect(member).toHaveURL(/\/sign-in/);
    await ownerContext.close();
    await memberContext.close();
  });
});
