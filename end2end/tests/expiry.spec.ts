import { test, expect } from "@playwright/test";
import { shortBase } from "../playwright.config";
import { signIn } from "./helpers";

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
  await row.getByRole("menuitem", { name: "Impersonate user" }).click();
  const dialog = admin.getByRole("dialog", { name: "Impersonate user" });
  await dialog.getByLabel("Reason").fill("TICKET-7000 expiry check");
  await dialog.getByRole("button", { name: "Impersonate user" }).click();

  const banner = admin.getByRole("region", { name: "Impersonation" });
  await expect(banner).toContainText("View only");
  await expect(banner.getByRole("timer", { name: "Time left" })).toHaveText(/^00:0[0-6]$/);

  // View only: the change is refused on the server, said next to the control.
  await admin.goto("/projects");
  await admin.getByLabel("New project name").fill("Not allowed");
  await admin.getByRole("button", { name: "Create project" }).click();
  await expect(admin.getByRole("alert").first()).toHaveText("View only session");

  // The countdown reaches zero and the page returns to the administrator's own view.
  await expect(admin).toHaveURL(/\/admin\/users/, { timeout: 10_000 });
  await expect(admin.getByRole("region", { name: "Impersonation" })).toHaveCount(0);

  await memberContext.close();
  await adminContext.close();
});
