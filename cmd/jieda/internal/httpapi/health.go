package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/embed"
)

// storeStatus reports the store's engine and collection count, or why it is not loaded.
func (h *handlers) storeStatus(c *fiber.Ctx) fiber.Map {
	d := h.deps
	if d.Store == nil {
		msg := "store opening"
		if d.StoreErr != nil {
			msg = d.StoreErr.Error()
		}
		return fiber.Map{"engine": d.StoreEngine, "error": msg}
	}
	cols, err := d.Store.Collections(c.UserContext())
	if err != nil {
		return fiber.Map{"engine": d.StoreEngine, "error": err.Error()}
	}
	return fiber.Map{"engine": d.StoreEngine, "collections": len(cols)}
}

// readyz reports the model and the store: 200 when both are loaded, 503 with the reason otherwise.
func (h *handlers) readyz(c *fiber.Ctx) error {
	store := h.storeStatus(c)
	if h.deps.Model == nil {
		msg := "model loading"
		if h.deps.ModelErr != nil {
			msg = h.deps.ModelErr.Error()
		}
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{
			"status": "unavailable", "model": fiber.Map{"error": msg}, "store": store,
		})
	}
	info := h.deps.Model.Info()
	model := fiber.Map{
		"name": info.Name, "dir": info.Dir, "dimension": info.Dimension, "grade": info.Grade,
		"source": info.Source, "onnxruntime": info.ORTVersion,
	}
	if info.Grade == embed.GradeLexical {
		model["warning"] = "builtin offline model: lexical-grade (matches shared characters and words, not meaning); run `jieda model pull bge-small-zh-v1.5` for a real model"
	}
	if _, bad := store["error"]; bad {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "model": model, "store": store})
	}
	return c.JSON(fiber.Map{"status": "ready", "model": model, "store": store})
}

// backuper is a store that can write a consistent snapshot while serving.
type backuper interface {
	Backup(ctx context.Context, w io.Writer) error
}

// backup snapshots the store into a temporary file, then sends it, so a
// failed snapshot is an error status rather than a truncated body.
func (h *handlers) backup(c *fiber.Ctx) error {
	b, ok := h.deps.Store.(backuper)
	if !ok {
		return fiber.NewError(fiber.StatusConflict, "backup is available for the embedded engine only (Qdrant has its own snapshots)")
	}
	f, err := os.CreateTemp("", "jieda-backup-*")
	if err != nil {
		return err
	}
	name := f.Name()
	if err := b.Backup(c.UserContext(), f); err != nil {
		return errors.Join(fmt.Errorf("backup: %w", err), f.Close(), os.Remove(name))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return errors.Join(err, f.Close(), os.Remove(name))
	}
	if err := os.Remove(name); err != nil { // the open handle keeps the data until the body is sent
		return errors.Join(err, f.Close())
	}
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="jieda-backup.bin"`)
	return c.SendStream(f)
}
