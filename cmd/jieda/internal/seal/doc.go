// Package seal encrypts store backups: a snapshot holds API key hashes,
// webhook and source secrets, channel tokens and customers' questions, so
// a file that leaves the machine should be sealed.
//
// # Format
//
// A sealed file starts with the magic "JIEDA-SEALED" and a version byte,
// the key's kind (a passphrase, stretched with PBKDF2-SHA256 and a random
// salt, or a key file, expanded with HKDF-SHA256), the salt and a random
// nonce prefix. The data follows in chunks of at most 64 KiB, each sealed
// with AES-256-GCM under a nonce made of the prefix and the chunk's
// number, with the header and a last-chunk flag as additional data. So a
// wrong key fails on the first chunk, and a reordered, damaged or
// truncated file fails where it was changed.
package seal
