// Package pii scrubs personal data out of customer-service text before
// anything is stored or embedded. It owns the detectors, the placeholders
// and the rules that settle overlaps; curate calls it on every candidate
// (question and agent reply) it takes in.
//
// # Basics
//
// Build one Scrubber with New and share it: it is immutable and safe for
// concurrent use. Scrub returns the text with every finding replaced by a
// typed placeholder, and the findings as byte offsets into the original
// text. A Result never carries the data itself, so it may be logged.
//
//	s, err := pii.New(pii.DefaultConfig())
//	r := s.Scrub("张先生您好，电话13812345678")
//	// r.Text == "{name}您好，电话{phone}"
//
// # Types and placeholders
//
//   - {phone}: mainland mobiles (138-1234-5678, +86 / 0086 / 86 prefixes),
//     mainland and Taiwan landlines with area code and extension
//     (010-12345678转123, 0755-1234567, 02-2345-6789), Hong Kong numbers
//     with +852 / (852) or after 電話 / tel, Taiwan mobiles (0912-345-678),
//     "+" international numbers (+44 20 7946 0958), 00-prefixed numbers,
//     North American 3-3-4 numbers, and any 7-15 digits right after a phone
//     word (电话, 手機, tel, call me…). 400/800 hotlines are left alone.
//   - {email}: RFC 5322 atom or quoted local parts, dotted domains with an
//     alphabetic or punycode top-level label; full-width ＠ and letters too.
//   - {id_number}: 18-character PRC resident IDs with a valid province code,
//     birth date and ISO 7064 MOD 11-2 check character (X or x). After an
//     ID word (身份证, 证件号, ID number) an 18-character ID with a bad check
//     character (a typo is still personal data) and a 15-digit old ID are
//     taken too; anywhere else a number that fails the checksum is not an ID.
//   - {card_number}: 13-19 digits, whole or grouped by spaces or dashes,
//     with an issuer digit and a valid Luhn check; after a card word (卡号,
//     信用卡, card) any 13-19 digits.
//   - {order_number}: references after an order word (订单号, 訂單編號,
//     单号, order #, order no., order id…) and the list that follows
//     ("订单号 A1、A2"); a shop's Config.OrderPatterns; and bare runs of 13
//     or more digits that nothing else claims, which in chat are nearly
//     always order or tracking numbers.
//   - {tracking_number}: carrier formats (SF顺丰, JD京东, YT/YTO, ZTO, STO,
//     J&T JT…, Cainiao LP…, 4PX, UPS 1Z…, UPU S10 such as EA123456789CN,
//     USPS 22-digit) anywhere, references after a tracking word (运单号,
//     快递单号, 物流单号, tracking number, waybill…), and a shop's
//     Config.TrackingPatterns.
//   - {address}: Chinese, Taiwan and Hong Kong addresses anchored on a road
//     with a house number (科技园路18号, 松仁路100號, 彌敦道688號), an estate
//     with a building (阳光花园3栋) or a building with a room (3栋1201室),
//     extended over divisions (省/市/区/县/镇/街道) and over buildings,
//     units, floors and rooms; English street addresses (221B Baker Street,
//     1600 Amphitheatre Pkwy) with units before or after (Apt 4B, Suite
//     300, 12/F) and city, state, ZIP or UK postcode; P.O. boxes.
//   - {name}: a common Chinese surname (simplified or traditional, single or
//     compound, plus Config.ExtraSurnames) with up to two given-name
//     characters before a title (张先生, 陳小姐, 欧阳娜娜女士, 陈经理); a
//     capitalized name after Mr./Mrs./Ms./Dr./Prof.; after Dear, "my name
//     is", "Name:"; after 我叫, 姓名, 收件人, 联系人, 我是 and 本人. A title is
//     how the name is written and goes with it ("张先生" → "{name}"), which
//     also drops the gender it implies; greetings and introductions stay
//     ("Dear {name}", "我叫{name}").
//
// # Overlaps and idempotence
//
// Candidates are ranked: existing placeholders, then email, ID (validated),
// card after a card word, order/tracking (keyed, carrier or shop pattern),
// Luhn-valid card, phone, address, name, bare long number. The higher rank
// wins an overlap, then the longer span, then the earlier one. An address
// cut by a higher-ranked finding keeps its uncovered pieces. Placeholders
// in the input are never matched, and after replacing, Scrub scans its own
// output again (up to four times) and adds what that finds, so scrubbing a
// scrubbed text changes nothing.
//
// Detection reads a folded view of the text: full-width ASCII (１３８,
// ＠, ：) as ASCII, odd spaces as spaces, Unicode dashes as '-'. Output keeps
// the original characters. Invalid UTF-8 never fails: each run of invalid
// bytes is written as one U+FFFD and the offsets still point into the
// original bytes.
//
// # Caveats
//
// Detection is rules, not a model: it favours precision on ordinary
// customer-service text (prices, dates, quantities, SKUs such as st-771,
// "3号线", "路由器", a city alone) and will miss data written in unusual
// ways — names without a salutation or cue, lower-case English addresses,
// addresses with no house number or building (a district alone is not
// scrubbed), phone numbers spelled in words, emails with non-ASCII local
// parts. A store's own address or a person's name quoted as a brand may be
// scrubbed. Anything that must never be stored should be kept out of free
// text upstream as well.
package pii
