import { test, expect } from "@playwright/test";
import { shortBase } from "../playwright.config";
import { expectBackInOwnView, signIn } from "./helpers";

// Runs against the instance whose sessions are capped at 6 seconds.
test.use({ baseURL: shortBase });

test("at zero the page leaves the session by itself; a View only session refuses a change", async ({ browser }) => {
  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await signIn(member, "max@example.com");
  await member.goto("/settings/impersonation");
  await member.getByLabel("24 hours").check();
  await member.getByRole("button", { name: "Enable impersonation" }).click();
  await expect(member.getByRole("heading", { name: "Status: Active" })).toBeVisible();

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, "ada@example.com");
  const row = admin.getByRole("row", { name: /Max Member/ });
  await row.getByLabel("Actions for Max Member").click();
  await row.getByRole("button", { name: "Impersonate user", exact: true }).click();
  const dialog = admin.getByRole("dialog", { name: "Impersonate user" });
  await dialog.getByLabel("Reason").fill("TICKET-7000 expiry check");
  await dialog.getByRole("button", { name: "Impersonate user" }).click();

  const banner = admin.getByRole("region", { name: "Impersonation" });
  await expect(banner).toContainText("View only");
  await expect(banner.getByRole("timer", { name: "Time left" })).toHaveText(/^00:0[0-6]$/);

  // View only: change controls are shown disabled, the reason on screen; the server refuses
  // the change anyway.
  await admin.goto("/projects");
  const create = admin.getByRole("button", { name: "Create project" });
  await expect(create).toBeDisabled();
  await expect(create).toHaveAccessibleDescription("View only session: you can look, but changes are turned off.");
  await expect(admin.getByText("View only session: you can look, but changes are turned off.")).toBeVisible();
  const refused = await admin.request.post("/api/create_project", { form: { name: "Not allowed" } });
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toContain("View only session");

  // A minute before the end (here: at once), the banner warns.
  await expect(banner.getByRole("status")).toHaveText("Less than a minute left: the session ends soon.");

  // The countdown reaches zero and the page returns to the administrator's own view.
  await expect(admin).toHaveURL(/\/admin\/users/, { timeout: 10_000 });
  await expectBackInOwnView(admin, "The session's time ran out.");
  await expect(admin.getByRole("heading", { name: "Not allowed" })).toHaveCount(0);

  await memberContext.close();
  await adminContext.close();
});
