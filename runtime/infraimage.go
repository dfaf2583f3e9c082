package runtime

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/infra"
)

// InfraImage makes sure the infra image exists for the engine's architecture and returns its
// reference, sidecar-infra:<content hash>. The image is assembled in memory from the embedded
// helper (one layer holding /sidecar-infra, a fixed creation time, our labels) and loaded with
// the engine's image-load endpoint: no registry, no builder, and the same bytes every time, so
// two processes that race to create it load identical content and both succeed.
func (d *Docker) InfraImage(ctx context.Context) (string, error) {
	d.infraMu.Lock()
	defer d.infraMu.Unlock()

	m, err := infra.LoadManifest()
	if err != nil {
		return "", err
	}
	art, ok := m.Artifact(d.arch)
	if !ok {
		return "", fmt.Errorf("the engine at %s runs on %s, but this sidecar carries an infra helper only for %s: "+
			"add the architecture to infra.Architectures and run go generate ./runtime/infra/...", d.host, d.arch, strings.Join(infra.Architectures, ", "))
	}
	spec := d.infraSpec(art)
	ref := d.infraRepo + ":" + spec.tag()

	if ok, err := d.infraPresent(ctx, ref, spec); err != nil || ok {
		return ref, err
	}
	bin, _, err := infra.Helper(d.arch)
	if err != nil {
		return "", err
	}
	archive, err := spec.archive(ref, bin)
	if err != nil {
		return "", fmt.Errorf("assemble the infra image: %w", err)
	}
	if err := d.loadImage(ctx, ref, archive); err != nil {
		// Another process may have created it meanwhile; then all is well.
		if ok, perr := d.infraPresent(ctx, ref, spec); perr == nil && ok {
			return ref, nil
		}
		return "", err
	}
	if ok, err := d.infraPresent(ctx, ref, spec); err != nil {
		return "", err
	} else if !ok {
		return "", fmt.Errorf("create the infra image %s: the engine accepted the image but does not list it under that name", ref)
	}
	return ref, nil
}

// infraSpec is what goes into the infra image's configuration.
type infraSpec struct {
	arch      string
	helperSHA string
	labels    map[string]string
}

func (d *Docker) infraSpec(art infra.Artifact) infraSpec {
	return infraSpec{
		arch:      d.arch,
		helperSHA: art.BinarySHA256,
		// The helper's hash and the number of directories for pod volumes (the
		// orchestrator's InfraVolumeDirs) tell an image of ours that is out of date.
		labels: orchestrator.Labels{Role: recipes.RoleInfra, Version: d.toolVersion,
			InfraHelper: art.BinarySHA256, InfraVolumeDirs: orchestrator.InfraVolumeDirs}.Encode(),
	}
}

// tag is a short hash of everything the image configuration is made of.
func (s infraSpec) tag() string {
	b, _ := json.Marshal(struct {
		Arch, Helper string
		Labels       map[string]string
	}{s.arch, s.helperSHA, s.labels}) // maps marshal with sorted keys
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:12]
}

// infraPresent reports whether ref exists and is the image spec describes.
func (d *Docker) infraPresent(ctx context.Context, ref string, spec infraSpec) (bool, error) {
	img, err := d.cli.ImageInspect(ctx, ref)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, engineError("inspect the infra image "+ref, err)
	}
	if img.Config == nil {
		return false, nil
	}
	if l, _ := orchestrator.DecodeLabels(img.Config.Labels); l.InfraHelper != spec.helperSHA ||
		l.InfraVolumeDirs != orchestrator.InfraVolumeDirs || normalizeArch(img.Architecture) != spec.arch {
		return false, nil // something else carries our tag: load ours over it
	}
	return true, nil
}

// epoch is the infra image's creation time: fixed, so that its bytes never change.
var epoch = time.Unix(0, 0).UTC()

// archive returns the image in the docker-save format (manifest.json, config, one layer),
// which every engine since 1.10 loads, with the classic and the containerd image store alike.
func (s infraSpec) archive(ref string, helper []byte) ([]byte, error) {
	var layer bytes.Buffer
	lw := tar.NewWriter(&layer)
	// The empty directories the pod volumes are first mounted on: a new volume takes their
	// owner and mode (root, 0777), as a Kubernetes emptyDir has.
	dirs := []string{"sidecar/", "sidecar/volumes/"}
	for i := 0; i < orchestrator.InfraVolumeDirs; i++ {
		dirs = append(dirs, strings.TrimPrefix(orchestrator.InfraVolumeDir(i), "/")+"/")
	}
	for i, name := range dirs {
		mode := int64(0o777)
		if i < 2 {
			mode = 0o755
		}
		if err := lw.WriteHeader(&tar.Header{Name: name, Mode: mode, Typeflag: tar.TypeDir, ModTime: epoch, Format: tar.FormatUSTAR}); err != nil {
			return nil, err
		}
	}
	if err := lw.WriteHeader(&tar.Header{
		Name: strings.TrimPrefix(infra.HelperPath, "/"), Mode: 0o755, Size: int64(len(helper)),
		Typeflag: tar.TypeReg, ModTime: epoch, Format: tar.FormatUSTAR,
	}); err != nil {
		return nil, err
	}
	lw.Write(helper)
	if err := lw.Close(); err != nil {
		return nil, err
	}
	diffID := sha256.Sum256(layer.Bytes())
	diffHex := hex.EncodeToString(diffID[:])

	type history struct {
		Created   time.Time `json:"created"`
		CreatedBy string    `json:"created_by"`
	}
	config, err := json.Marshal(struct {
		Architecture string    `json:"architecture"`
		OS           string    `json:"os"`
		Created      time.Time `json:"created"`
		Config       struct {
			Entrypoint []string          `json:"Entrypoint"`
			Labels     map[string]string `json:"Labels"`
			StopSignal string            `json:"StopSignal"`
		} `json:"config"`
		RootFS struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
		History []history `json:"history"`
	}{
		Architecture: s.arch,
		OS:           "linux",
		Created:      epoch,
		Config: struct {
			Entrypoint []string          `json:"Entrypoint"`
			Labels     map[string]string `json:"Labels"`
			StopSignal string            `json:"StopSignal"`
		}{[]string{infra.HelperPath}, s.labels, "SIGTERM"},
		RootFS: struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		}{"layers", []string{"sha256:" + diffHex}},
		History: []history{{epoch, "sidecar infra helper " + s.helperSHA[:12]}},
	})
	if err != nil {
		return nil, err
	}
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	layerName := diffHex + "/layer.tar"
	manifest, err := json.Marshal([]struct {
		Config   string
		RepoTags []string
		Layers   []string
	}{{configName, []string{ref}, []string{layerName}}})
	if err != nil {
		return nil, err
	}

	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	dir := &tar.Header{Name: diffHex + "/", Mode: 0o755, Typeflag: tar.TypeDir, ModTime: epoch, Format: tar.FormatUSTAR}
	if err := tw.WriteHeader(dir); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{layerName, layer.Bytes()}, {configName, config}, {"manifest.json", manifest}} {
		hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg, ModTime: epoch, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		tw.Write(f.data)
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// loadImage sends an image archive to the engine and reads its answer to the end.
func (d *Docker) loadImage(ctx context.Context, ref string, archive []byte) error {
	resp, err := d.cli.ImageLoad(ctx, bytes.NewReader(archive), client.ImageLoadWithQuiet(true))
	if err != nil {
		return engineError("load the infra image "+ref, err)
	}
	defer resp.Close()
	dec := json.NewDecoder(resp)
	for {
		var msg jsonstream.Message
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if ctx.Err() != nil {
				return fmt.Errorf("load the infra image %s: %w", ref, ctx.Err())
			}
			return fmt.Errorf("load the infra image %s: reading the engine's answer: %w", ref, err)
		}
		if msg.Error != nil {
			return fmt.Errorf("load the infra image %s: %s", ref, msg.Error.Message)
		}
	}
}
