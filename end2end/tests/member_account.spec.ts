import { test, expect } from "@playwright/test";
import { open, signIn } from "./helpers";

test("a member edits their profile", async ({ page }) => {
  await signIn(page, "max@example.com");
  await page.getByRole("link", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible();
  await expect(page.getByLabel("Display name")).toHaveValue("Max Member");

  await page.getByLabel("Phone").fill("not a phone");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter a phone number");

  await page.getByLabel("Display name").fill("Max M.");
  await page.getByLabel("Phone").fill("+49 30 123456");
  await page.getByLabel("Time zone").selectOption("Europe/Berlin");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByText("Profile saved.")).toBeVisible();

  await page.reload();
  await expect(page.getByLabel("Display name")).toHaveValue("Max M.");
  await expect(page.getByLabel("Time zone")).toHaveValue("Europe/Berlin");
});

test("a member creates, renames and archives a project", async ({ page }) => {
  await signIn(page, "max@example.com");
  await page.getByRole("link", { name: "Projects" }).click();
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();

  await page.getByLabel("New project name").fill("Garden shed");
  await page.getByRole("button", { name: "Create project" }).click();
  const row = page.getByRole("row", { name: /Garden shed/ });
  await expect(row).toContainText("Active");

  await row.getByLabel("New name for Garden shed").fill("Garden house");
  await row.getByRole("button", { name: "Rename" }).click();
  const renamed = page.getByRole("row", { name: /Garden house/ });
  await expect(renamed).toBeVisible();

  await renamed.getByRole("button", { name: "Archive Garden house" }).click();
  await expect(page.getByRole("row", { name: /Garden house/ })).toContainText("Archived");
  await expect(page.getByRole("button", { name: "Archive Garden house" })).toHaveCount(0);
});

test("a post whose answer never comes leaves its button working again", async ({ page }) => {
  // A clock the test can move: nobody waits out the server's 30 seconds.
  await page.clock.install();
  await signIn(page, "max@example.com");
  await open(page, "/projects");
  await page.getByLabel("New project name").fill("Never arrives");
  // Sent, and no answer ever comes: the browser is kept from leaving, as when a person
  // presses Stop or the connection is lost.
  await page.evaluate(() => {
    (window as any).answerNeverComes = (event: Event) => event.preventDefault();
    window.addEventListener("submit", (window as any).answerNeverComes);
  });
  const create = page.getByRole("button", { name: "Create project" });
  await create.click();
  await expect(create).toHaveAttribute("aria-busy", "true");
  // Longer than the server ever takes to answer (30 s), and only then, it works again.
  await page.clock.fastForward("00:31");
  await expect(create).toHaveAttribute("aria-busy", "true");
  await page.clock.fastForward("00:05");
  await expect(create).toHaveAttribute("aria-busy", "false");
  await page.evaluate(() => window.removeEventListener("submit", (window as any).answerNeverComes));

  // Sent again, it goes through.
  await create.click();
  await expect(page.getByRole("row", { name: /Never arrives/ })).toContainText("Active");
});

test("a member saves payout details and sees the IBAN only masked", async ({ page }) => {
  await signIn(page, "max@example.com");
  await page.getByRole("link", { name: "Payout" }).click();
  await expect(page.getByRole("heading", { name: "Payout details" })).toBeVisible();
  await expect(page.getByText("No payout details yet.")).toBeVisible();

  await page.getByLabel("New IBAN").fill("GB82 WEST 1234 5698 7654 31");
  await page.getByRole("button", { name: "Save payout details" }).click();
  await expect(page.getByRole("alert")).toContainText("not valid");

  await page.getByLabel("New IBAN").fill("GB82 WEST 1234 5698 7654 32");
  await page.getByRole("button", { name: "Save payout details" }).click();
  await expect(page.getByText("GB•• •••• •••• •••• ••54 32")).toBeVisible();
  await page.reload();
  await expect(page.getByText("GB•• •••• •••• •••• ••54 32")).toBeVisible();
  await expect(page.getByRole("main")).not.toContainText("WEST1234");
});
