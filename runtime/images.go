package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// ImagePresent reports whether ref exists in the engine's image store.
func (d *Docker) ImagePresent(ctx context.Context, ref string) (bool, error) {
	_, err := d.cli.ImageInspect(ctx, ref)
	switch {
	case err == nil:
		return true, nil
	case isNotFound(err):
		return false, nil
	}
	return false, engineError("inspect image "+ref, err)
}

// PullImage pulls ref, reporting progress. Any failure other than ctx ending is
// ErrImageUnavailable, with the engine's reason and the ways to provide the image locally.
func (d *Docker) PullImage(ctx context.Context, ref string, progress orchestrator.ProgressFunc) error {
	if progress == nil {
		progress = func(orchestrator.Progress) {}
	}
	resp, err := d.cli.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return d.pullError(ctx, ref, err)
	}
	defer resp.Close()
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return d.pullError(ctx, ref, err)
		}
		if msg.Error != nil {
			return d.pullError(ctx, ref, msg.Error)
		}
		p := orchestrator.Progress{Ref: ref, ID: msg.ID, Message: msg.Status}
		if msg.Progress != nil {
			p.Current, p.Total = msg.Progress.Current, msg.Progress.Total
		}
		progress(p)
	}
	progress(orchestrator.Progress{Ref: ref, Message: "Pulled", Done: true})
	return nil
}

func (d *Docker) pullError(ctx context.Context, ref string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("pull %s: %w", ref, ctx.Err())
	}
	if client.IsErrConnectionFailed(err) {
		return engineError("pull "+ref, err)
	}
	return newError(fmt.Sprintf("image %s is not present on the engine and could not be pulled (%s); %s",
		ref, cleanMessage(err), provideHint(ref)), err, orchestrator.ErrImageUnavailable)
}

// provideHint says how to provide a missing image without a registry. A digest reference
// (name@sha256:…) names a registry's manifest: `docker build -t` refuses a digest, and an
// engine records one only for an image it pulled (a loaded or built image has none), so the
// fix is a tag of the user's own, used in the recipe instead.
func provideHint(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if _, digested := named.(reference.Digested); err == nil && digested {
		local := reference.FamiliarName(named) + ":local"
		return fmt.Sprintf("a digest reference names an image in a registry, which only a pull of it provides: "+
			"without a registry, build or load the image under a tag of your own and use that tag in the recipe "+
			"(`docker build -t %s DIR`, or `docker load -i FILE` then `docker tag IMAGE %s`, and image: %s), "+
			"or give the container a `build:` section", local, local, local)
	}
	return fmt.Sprintf("provide it locally: build it with `docker build -t %s DIR`, load it with `docker load -i FILE`, "+
		"or give the container a `build:` section in the recipe", ref)
}

// BuildImage builds req through the engine's classic builder (no BuildKit session needed)
// and tags it req.Ref. The context is sent as a tar that honours .dockerignore. Progress gets
// one call per output line; a failed step becomes an error naming the image, the step and
// the cause. Intermediate containers are removed even when the build fails.
func (d *Docker) BuildImage(ctx context.Context, req orchestrator.BuildRequest, progress orchestrator.ProgressFunc) error {
	if progress == nil {
		progress = func(orchestrator.Progress) {}
	}
	if req.Ref == "" {
		return errors.New("build: the image has no name (BuildRequest.Ref is empty)")
	}
	dockerfile := req.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	bc, err := buildContext(req.Context, dockerfile, req.DockerfileInline)
	if err != nil {
		return fmt.Errorf("build %s: %w", req.Ref, err)
	}
	defer bc.tar.Close()
	args := make(map[string]*string, len(req.Args))
	for k, v := range req.Args {
		args[k] = &v
	}
	resp, err := d.cli.ImageBuild(ctx, bc.tar, client.ImageBuildOptions{
		Tags:        []string{req.Ref},
		Dockerfile:  bc.dockerfile,
		BuildArgs:   args,
		Target:      req.Target,
		Labels:      req.Labels,
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("build %s: %w", req.Ref, ctx.Err())
		}
		return engineError(fmt.Sprintf("build %s from %s", req.Ref, req.Context), err)
	}
	defer resp.Body.Close()
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	return decodeBuild(resp.Body, req.Ref, progress, ctx.Err)
}

var stepPattern = regexp.MustCompile(`^Step (\d+/\d+) : (.*)$`)

// decodeBuild reads the classic builder's JSON message stream.
func decodeBuild(r io.Reader, ref string, progress orchestrator.ProgressFunc, ctxErr func() error) error {
	dec := json.NewDecoder(r)
	step, stepText := "", ""
	var tail []string // the last lines of output, for the error
	for {
		var msg jsonstream.Message
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			if e := ctxErr(); e != nil {
				return fmt.Errorf("build %s: %w", ref, e)
			}
			return fmt.Errorf("build %s: reading the engine's output: %w", ref, err)
		}
		if msg.Error != nil {
			where := ""
			if step != "" {
				where = " at step " + step + " (" + stepText + ")"
			}
			cause := strings.TrimSpace(msg.Error.Message)
			if len(tail) > 0 && !strings.Contains(cause, tail[len(tail)-1]) {
				cause += "; last output: " + strings.Join(tail, " | ")
			}
			return fmt.Errorf("build %s failed%s: %s", ref, where, cause)
		}
		text := strings.TrimRight(msg.Stream, "\r\n")
		if text == "" {
			text = msg.Status
		}
		if text == "" {
			continue
		}
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimRight(line, "\r")
			if m := stepPattern.FindStringSubmatch(line); m != nil {
				step, stepText, tail = m[1], m[2], nil
			} else if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, " ---> ") {
				tail = append(tail, strings.TrimSpace(line))
				if len(tail) > 3 {
					tail = tail[1:]
				}
			}
			p := orchestrator.Progress{Ref: ref, ID: step, Message: line}
			if msg.Progress != nil {
				p.Current, p.Total = msg.Progress.Current, msg.Progress.Total
			}
			progress(p)
		}
	}
	progress(orchestrator.Progress{Ref: ref, ID: step, Message: "Built", Done: true})
	return nil
}

// relPath is filepath.Rel that reports whether target lies inside base.
func relPath(base, target string) (string, bool) {
	rel, err := filepath.Rel(base, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}
