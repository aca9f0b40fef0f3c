//go:build !linux

package embedded

// populateFlag is Linux's MAP_POPULATE; elsewhere pages map on first touch.
const populateFlag = 0
