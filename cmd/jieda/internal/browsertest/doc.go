// Package browsertest runs a real headless Chromium for the browser tests
// of the console and the widget, driven from Go with chromedp.
//
// # Basics
//
// New starts one browser per test (its own empty profile) and returns a
// chromedp context for a tab; the browser ends with the test. Screenshot
// saves what the tab shows as a PNG artifact under
// .cache/artifacts/browser/<test>/ (or $JIEDA_ARTIFACTS/browser/<test>/).
//
// # Caveats
//
// Chromium comes from Debian's chromium package, installed by
// scripts/install-chromium.sh (make test runs it); JIEDA_CHROMIUM names
// another binary. Without one, New fails the test saying how to install it.
package browsertest
