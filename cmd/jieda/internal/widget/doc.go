// Package widget serves the web chat widget: GET /widget.js, one
// embedded script a shop pastes into its pages,
//
//	<script src="https://jieda.example.com/widget.js" data-key="jd_…" data-kb="shop" defer></script>
//
// which draws a chat launcher and panel in a shadow root (so the shop's
// CSS cannot break it, nor the widget's the shop's), asks POST /v1/ask
// and POST /v1/feedback on the server it was loaded from with a widget
// key (apikey.RoleWidget) bound to the shop's origins, and shows answers,
// clarify options as buttons, helpful / not helpful, and the handoff
// message. It speaks Chinese or English from the page's lang (data-lang
// overrides), is keyboard- and screen-reader-usable (a dialog with a
// live region, focus kept in the panel, Escape closes) and fills the
// screen on a phone. It makes no request to anyone but its jieda and
// keeps the conversation id jieda issued in the page's sessionStorage.
//
// # Attributes
//
//   - data-key: the widget key (required);
//   - data-kb: the knowledge base (required);
//   - data-api: jieda's base URL (default: where widget.js came from);
//   - data-lang: "zh" or "en" (default: the page's <html lang>);
//   - data-title: the panel's title (default "在线客服" / "Help").
//   - data-handoff: what the customer reads when jieda hands the
//     question to the shop's agents (default: jieda's, in the widget's language).
package widget
