package runtime

import (
	"context"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

var _ orchestrator.ImageInspector = (*Docker)(nil)

// ImageID returns the engine's ID of the local image ref ("sha256:…"), which goes into each
// app container's config hash: an image rebuilt under the same tag has another ID. An image
// that is not present is ErrNotFound.
func (d *Docker) ImageID(ctx context.Context, ref string) (string, error) {
	img, err := d.cli.ImageInspect(ctx, ref)
	if err != nil {
		return "", engineError("inspect image "+ref, err)
	}
	return img.ID, nil
}
