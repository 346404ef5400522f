import { test, expect, Browser, Locator, Page } from "@playwright/test";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { peopleBase, peopleDatabase } from "../playwright.config";
import { expectAccessible, expectBackInOwnView, open, revokeConsent, screenshot, signIn } from "./helpers";

// Access requests (SPEC.md §2) and the member's inbox (§5). On the people instance: the
// requests stay on its user list, not on the main instance's, which other files photograph.
test.use({ baseURL: peopleBase });

/** Someone signed in, in a browser of their own. */
async function signedIn(browser: Browser, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, email);
  return page;
}

/** Request access is offered only where the member has no standing consent: take any back. */
async function withoutStandingConsent(member: Page) {
  await open(member, "/settings/impersonation");
  const active = member.getByRole("heading", { name: "Status: Active" });
  const inactive = member.getByRole("heading", { name: "Status: Not active" });
  await expect(active.or(inactive)).toBeVisible();
  if (await active.isVisible()) await revokeConsent(member);
  await expect(inactive).toBeVisible();
}

/** The member opens their inbox with nothing unread, and stays on it. */
async function openInboxAllRead(member: Page) {
  await open(member, "/inbox");
  const inbox = member.getByRole("region", { name: "Inbox" });
  // Loaded: its notices, or the words for none.
  await expect(inbox.getByRole("list").or(inbox.getByText("Nothing here yet."))).toBeVisible();
  const markRead = member.getByRole("button", { name: "Mark all read" });
  if (await markRead.isVisible()) {
    await markRead.click();
    await expect(markRead).toHaveCount(0);
  }
  // A mark that a reload would wipe out: what follows arrives on this very page.
  await member.evaluate(() => ((window as any).stillTheSamePage = true));
}

async function expectNotReloaded(page: Page) {
  expect(await page.evaluate(() => (window as any).stillTheSamePage)).toBe(true);
}

/** The administrator opens `Request access` on the member's row. */
async function openRequestDialog(admin: Page, memberName: string): Promise<Locator> {
  await open(admin, "/admin/users");
  const row = admin.getByRole("row", { name: new RegExp(memberName) });
  await row.getByLabel(`Actions for ${memberName}`).click();
  await row.getByRole("button", { name: "Request access", exact: true }).click();
  const dialog = admin.getByRole("dialog", { name: "Request access" });
  await expect(dialog).toBeVisible();
  return dialog;
}

/** Fills in the dialog. */
async function fillRequest(
  dialog: Locator,
  request: { reason: string; ticket?: string; scope: string; sections?: string[]; hours: number },
) {
  await dialog.getByLabel("Reason").fill(request.reason);
  if (request.ticket) await dialog.getByLabel("Ticket").fill(request.ticket);
  await dialog.getByLabel("Scope").selectOption({ label: request.scope });
  const sections = dialog.getByRole("group", { name: "Sections (none chosen means all)" });
  for (const section of request.sections ?? []) await sections.getByLabel(section).check();
  await dialog.getByLabel("Duration (hours)").fill(String(request.hours));
}

/** Sends the dialog: it closes, and the row says the request waits for an answer. */
async function submitRequest(admin: Page, dialog: Locator, memberName: string): Promise<Locator> {
  await dialog.getByRole("button", { name: "Request access" }).click();
  await expect(dialog).toHaveCount(0);
  const row = admin.getByRole("row", { name: new RegExp(memberName) });
  await expect(row).toContainText(
    /Access requested, waiting for an answer \(expires \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\)/,
  );
  return row;
}

/** The notice of a request in the member's inbox; `admin` as it names them, `Name (email)`. */
function requestNotice(member: Page, admin: string): Locator {
  return member.getByRole("listitem").filter({ hasText: `${admin} asks for access to your account` });
}

/** What a request's notice says, in its order: who asks, reason, ticket, scope, sections, duration, status. */
function facts(notice: Locator): Locator {
  return notice.getByRole("definition");
}

/** The request's status, the last of its facts. */
function status(notice: Locator): Locator {
  return facts(notice).last();
}

test("a member approves a request for less; the administrator sees it live and acts within it", async ({ browser }) => {
  const member = await signedIn(browser, "mia@example.com");
  await withoutStandingConsent(member);
  await openInboxAllRead(member);
  const inboxLink = member.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /^Inbox/ });
  await expect(inboxLink.getByLabel(/unread$/)).toHaveCount(0);

  const admin = await signedIn(browser, "ada@example.com");
  // Tall enough for the whole dialog in the README's picture.
  await admin.setViewportSize({ width: 1280, height: 1000 });
  await expect(admin.getByRole("row", { name: /Mia Member/ })).toContainText("No consent");
  const dialog = await openRequestDialog(admin, "Mia Member");
  await expect(dialog).toContainText(
    "Mia Member will find your request in their Inbox and may approve it, perhaps for less, or deny it. Unanswered, it expires after 24 hours.",
  );
  await expect(dialog.getByLabel("Reason")).toBeFocused();
  await fillRequest(dialog, {
    reason: "Her invoices show the wrong phone number",
    ticket: "TICKET-8100",
    scope: "Full access",
    sections: ["Profile", "Projects"],
    hours: 4,
  });
  await screenshot(admin, "request-dialog");
  await expectAccessible(admin, "the Request access dialog");
  const row = await submitRequest(admin, dialog, "Mia Member");
  // The admin's page hears the member's answer on the live channel: marked, it must not reload.
  await admin.evaluate(() => ((window as any).stillTheSamePage = true));

  // The member's open inbox shows it within 2 seconds, and the navigation counts it.
  const notice = requestNotice(member, "Ada Admin (ada@example.com)");
  await expect(notice).toBeVisible({ timeout: 2_000 });
  await expect(inboxLink.getByLabel("1 unread")).toBeVisible();
  await expect(notice.getByText("New", { exact: true })).toBeVisible();
  await expect(notice.getByRole("term")).toHaveText(["Who asks", "Reason", "Ticket", "Scope", "Sections", "Duration", "Status"]);
  await expect(facts(notice)).toHaveText([
    "Ada Admin (ada@example.com)",
    "Her invoices show the wrong phone number",
    "TICKET-8100",
    "Full access",
    "Profile, Projects",
    "4 h",
    "Pending",
  ]);
  await expectNotReloaded(member);
  await screenshot(member, "inbox-request");
  await expectAccessible(member, "the inbox with a request to answer");

  // Approve for less: 2 hours instead of 4, View only, Profile alone.
  await notice.getByLabel("Hours").fill("2");
  await notice.getByLabel("Scope").selectOption({ label: "View only" });
  await notice.getByLabel("Sections").selectOption({ label: "Profile" });
  await notice.getByRole("button", { name: "Approve" }).click();
  await expect(status(notice)).toHaveText(/^Approved until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
  await expect(notice.getByRole("button", { name: "Approve" })).toHaveCount(0);
  await expect(notice.getByRole("button", { name: "Deny" })).toHaveCount(0);
  // The answer was a form post, which brought the page back: what follows arrives live.
  await member.evaluate(() => ((window as any).stillTheSamePage = true));

  // The administrator's list says so within 2 seconds, without a reload.
  await expect(row).toContainText(/Access approved until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC, View only, Profile/, {
    timeout: 2_000,
  });
  await expectNotReloaded(admin);

  // The approval is a consent for her alone: no support code is asked for.
  await row.getByLabel("Actions for Mia Member").click();
  await row.getByRole("button", { name: "Impersonate user", exact: true }).click();
  const start = admin.getByRole("dialog", { name: "Impersonate user" });
  await expect(start.getByLabel("Support code")).toHaveCount(0);
  await start.getByLabel("Reason").fill("TICKET-8100 the phone number on her profile");
  await start.getByRole("button", { name: "Impersonate user" }).click();
  await expect(admin).toHaveURL(/\/account$/);
  const banner = admin.getByRole("region", { name: "Impersonation" });
  await expect(banner).toContainText("You are impersonating Mia Member (mia@example.com)");
  await expect(banner).toContainText("View only");
  await expect(banner).toContainText("Profile");
  const nav = admin.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Profile" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Projects" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Payout" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: /^Inbox/ })).toHaveCount(0);

  // View only: the profile can be read, not changed; the server refuses a change anyway.
  await nav.getByRole("link", { name: "Profile" }).click();
  await expect(admin).toHaveURL(/\/profile$/);
  const save = admin.getByRole("button", { name: "Save profile" });
  await expect(save).toBeDisabled();
  await expect(save).toHaveAccessibleDescription("View only session: you can look, but changes are turned off.");
  const change = await admin.request.post("/api/update_profile", {
    form: { display_name: "Not hers to change", phone: "+49 30 1234567", time_zone: "UTC" },
  });
  expect(change.status()).toBe(403);
  expect(await change.text()).toContain("View only session");

  // Outside the sections granted: the page and its data are refused.
  const projects = await admin.goto("/projects");
  expect(projects?.status()).toBe(403);
  await expect(admin.getByText("Not within the access granted")).toBeVisible();
  // Said in the page's place: the banner stays, and nothing of the page is there.
  await expect(admin.getByRole("region", { name: "Impersonation" })).toBeVisible();
  await expect(admin.getByRole("heading", { name: "Projects" })).toHaveCount(0);
  const list = await admin.request.post("/api/list_projects");
  expect(list.status()).toBe(403);
  expect(await list.text()).toContain("Not within the access granted");
  const payout = await admin.goto("/payout");
  expect(payout?.status()).toBe(403);
  await expect(admin.getByText("Not within the access granted")).toBeVisible();
  // Reached by the browser's own navigation (a link, back, forward), the page is asked of
  // the server all the same, which answers and records the refusal.
  await open(admin, "/profile");
  const asked = admin.waitForResponse(
    (response) =>
      new URL(response.url()).pathname === "/projects" &&
      response.request().resourceType() === "document",
  );
  await admin.evaluate(() => {
    const link = document.createElement("a");
    link.href = "/projects";
    document.body.append(link);
    link.click();
  });
  expect((await asked).status()).toBe(403);
  await expect(admin.getByText("Not within the access granted")).toBeVisible();

  await open(admin, "/profile");
  await admin.getByRole("button", { name: "Exit impersonation" }).click();
  await expectBackInOwnView(admin, "You exited the impersonation session.");

  // The member's inbox, still open, kept up: the session started and ended, and why (with
  // the request, three unread; an earlier session of hers, already read, is no news).
  const news = member.getByRole("listitem").filter({ has: member.getByText("New", { exact: true }) });
  const started = news.filter({ hasText: "Ada Admin (ada@example.com) started acting on your account" });
  const ended = news.filter({ hasText: "Ada Admin (ada@example.com)'s session on your account ended (exited)" });
  await expect(started).toBeVisible();
  await expect(ended).toBeVisible();
  await expect(inboxLink.getByLabel("3 unread")).toBeVisible();
  await expectNotReloaded(member);

  // Mark all read: nothing new is left, on the page or in the navigation.
  await member.getByRole("button", { name: "Mark all read" }).click();
  await expect(member.getByRole("button", { name: "Mark all read" })).toHaveCount(0);
  await expect(member.getByRole("listitem").getByText("New", { exact: true })).toHaveCount(0);
  await expect(inboxLink.getByLabel(/unread$/)).toHaveCount(0);
  // And after a reload as well.
  await open(member, "/inbox");
  await expect(requestNotice(member, "Ada Admin (ada@example.com)")).toBeVisible();
  await expect(member.getByRole("listitem").getByText("New", { exact: true })).toHaveCount(0);
  await expect(inboxLink.getByLabel(/unread$/)).toHaveCount(0);

  await member.context().close();
  await admin.context().close();
});

test("a member denies a request with a message; the administrator reads it without reloading", async ({ browser }) => {
  const member = await signedIn(browser, "max@example.com");
  await withoutStandingConsent(member);
  await openInboxAllRead(member);

  const admin = await signedIn(browser, "ada@example.com");
  const dialog = await openRequestDialog(admin, "Max Member");
  await fillRequest(dialog, {
    reason: "Checking why his projects will not load",
    scope: "View only",
    hours: 1,
  });
  const row = await submitRequest(admin, dialog, "Max Member");
  await admin.evaluate(() => ((window as any).stillTheSamePage = true));

  const notice = requestNotice(member, "Ada Admin (ada@example.com)");
  await expect(notice).toBeVisible({ timeout: 2_000 });
  await expect(facts(notice)).toHaveText([
    "Ada Admin (ada@example.com)",
    "Checking why his projects will not load",
    "–",
    "View only",
    "All sections",
    "1 h",
    "Pending",
  ]);
  // Only what was asked, or less: View only cannot be widened.
  await expect(notice.getByLabel("Scope").getByRole("option")).toHaveText(["View only"]);
  const message = notice.getByLabel("Message (optional)");
  await message.fill("Please call me first, I am travelling");
  // News while Max types (a second request) refreshes his inbox in place: his words stay.
  const owner = await signedIn(browser, "owner@example.com");
  const second = await openRequestDialog(owner, "Max Member");
  await fillRequest(second, { reason: "Following up on the same report", scope: "View only", hours: 1 });
  await submitRequest(owner, second, "Max Member");
  const secondNotice = requestNotice(member, "Olivia Owner (owner@example.com)");
  await expect(secondNotice).toBeVisible({ timeout: 2_000 });
  await expect(message).toHaveValue("Please call me first, I am travelling");
  await expect(message).toBeFocused();
  await expectNotReloaded(member);
  await notice.getByRole("button", { name: "Deny" }).click();
  await expect(status(notice)).toHaveText("Denied");
  await expect(notice.getByRole("button", { name: "Approve" })).toHaveCount(0);
  // The second request is answered too, so that no other test finds it waiting.
  await secondNotice.getByRole("button", { name: "Deny" }).click();
  await expect(status(secondNotice)).toHaveText("Denied");
  await owner.context().close();

  await expect(row).toContainText("Access denied: “Please call me first, I am travelling”", { timeout: 2_000 });
  await expectNotReloaded(admin);
  // Denied is no consent: starting still needs a support code.
  await row.getByLabel("Actions for Max Member").click();
  await row.getByRole("button", { name: "Impersonate user", exact: true }).click();
  await expect(admin.getByRole("dialog", { name: "Impersonate user" }).getByLabel("Support code")).toBeVisible();

  await member.context().close();
  await admin.context().close();
});

/**
 * Moves the pending request of `actor` to `member` a day into the past, in the instance's
 * SQLite file, as the server's integration tests do (`age_request`): nobody waits 24 hours.
 */
async function ageRequest(actor: string, member: string) {
  const sql = `
    UPDATE access_requests
       SET requested_at = requested_at - 86400000, expires_at = expires_at - 86400000
     WHERE status = 'pending'
       AND actor_id = (SELECT id FROM users WHERE email = '${actor}')
       AND member_id = (SELECT id FROM users WHERE email = '${member}');
    SELECT changes();`;
  const { stdout } = await promisify(execFile)("sqlite3", ["-cmd", ".timeout 10000", peopleDatabase, sql], {
    cwd: "..",
  });
  expect(stdout.trim(), "one pending request aged").toBe("1");
}

test("a request nobody answers within 24 hours expires: it can no longer be approved", async ({ browser }) => {
  const member = await signedIn(browser, "max@example.com");
  await withoutStandingConsent(member);
  await openInboxAllRead(member);

  const admin = await signedIn(browser, "owner@example.com");
  const dialog = await openRequestDialog(admin, "Max Member");
  await fillRequest(dialog, {
    reason: "Payout details bounced twice this week",
    ticket: "TICKET-8300",
    scope: "Full access",
    sections: ["Payout"],
    hours: 24,
  });
  await submitRequest(admin, dialog, "Max Member");
  // Olivia's request the test before denied is in Max's inbox too.
  const notice = requestNotice(member, "Olivia Owner (owner@example.com)").filter({
    hasText: "Payout details bounced twice this week",
  });
  await expect(notice).toBeVisible({ timeout: 2_000 });
  await expect(facts(notice)).toHaveText([
    "Olivia Owner (owner@example.com)",
    "Payout details bounced twice this week",
    "TICKET-8300",
    "Full access",
    "Payout",
    "24 h",
    "Pending",
  ]);

  await ageRequest("owner@example.com", "max@example.com");

  // The page still offers Approve; the server refuses, saying why, and nothing is granted.
  await notice.getByRole("button", { name: "Approve" }).click();
  await expect(member.getByText("This request has expired: nobody answered it within 24 hours.")).toBeVisible();
  await open(member, "/inbox");
  await expect(status(notice)).toHaveText("Expired");
  await expect(notice.getByRole("button", { name: "Approve" })).toHaveCount(0);
  await expect(notice.getByRole("button", { name: "Deny" })).toHaveCount(0);

  await open(admin, "/admin/users");
  const row = admin.getByRole("row", { name: /Max Member/ });
  await expect(row).toContainText("No consent. Access request expired unanswered");
  // Expired is no longer pending: a new request may be sent.
  await row.getByLabel("Actions for Max Member").click();
  await expect(row.getByRole("button", { name: "Request access", exact: true })).toBeVisible();

  await member.context().close();
  await admin.context().close();
});
