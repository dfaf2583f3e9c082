package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sidecar-dev/sidecar/recipes"
)

// removeLeftovers removes whatever an earlier run of the same stack left behind (found by
// its stack label: containers, then networks, then volumes) and says so with a LeftoversEvent.
func (o *Orchestrator) removeLeftovers(ctx context.Context) error {
	filter := StackFilter(o.names.Stack)
	cs, err := o.rt.ListContainers(ctx, filter)
	if err != nil {
		return fmt.Errorf("list leftover containers of stack %s: %w", o.names.Stack, err)
	}
	nets, err := o.rt.ListNetworks(ctx, filter)
	if err != nil {
		return fmt.Errorf("list leftover networks of stack %s: %w", o.names.Stack, err)
	}
	vols, err := o.rt.ListVolumes(ctx, filter)
	if err != nil {
		return fmt.Errorf("list leftover volumes of stack %s: %w", o.names.Stack, err)
	}
	if len(cs)+len(nets)+len(vols) == 0 {
		return nil
	}
	var (
		mu   sync.Mutex
		errs []error
		ev   LeftoversEvent
	)
	each := func(names []string, remove func(string) error, what string, done *[]string) {
		g := new(errgroup.Group)
		g.SetLimit(o.opts.Parallel)
		for _, n := range names {
			g.Go(func() error {
				err := remove(n)
				mu.Lock()
				defer mu.Unlock()
				if err != nil && !isNotFound(err) {
					errs = append(errs, fmt.Errorf("remove leftover %s %s: %w", what, n, err))
					return nil
				}
				*done = append(*done, n)
				return nil
			})
		}
		_ = g.Wait()
	}
	ids := map[string]string{}
	var cnames []string
	for _, c := range cs {
		ids[c.Name] = c.ID
		cnames = append(cnames, c.Name)
	}
	each(cnames, func(n string) error { return o.rt.RemoveContainer(ctx, ids[n]) }, "container", &ev.Containers)
	var nnames, vnames []string
	for _, n := range nets {
		nnames = append(nnames, n.Name)
	}
	for _, v := range vols {
		vnames = append(vnames, v.Name)
	}
	each(nnames, func(n string) error { return o.rt.RemoveNetwork(ctx, n) }, "network", &ev.Networks)
	each(vnames, func(n string) error { return o.rt.RemoveVolume(ctx, n) }, "volume", &ev.Volumes)
	sortedNames(ev.Containers)
	sortedNames(ev.Networks)
	sortedNames(ev.Volumes)
	o.out.publish(ev)
	return errors.Join(errs...)
}

// imageJob is one image to make available, and who needs it.
type imageJob struct {
	ref   string
	build *recipes.Build
	users string // "pod/container" of the first container using it
}

// resolveImages makes every image of pods available, in parallel: present locally → used;
// with a build → built (identical builds once); else pulled. It returns the infra image's
// reference (made when infra is set), the images' IDs when the runtime tells them
// (ImageInspector), and every failure.
func (o *Orchestrator) resolveImages(ctx context.Context, stack *recipes.Stack, pods []*recipes.Pod, infra bool) (string, map[string]string, error) {
	var jobs []*imageJob
	byRef := map[string]*imageJob{}
	for _, p := range pods {
		for _, c := range p.Containers() {
			if j := byRef[c.Image]; j != nil {
				if j.build == nil && c.Build != nil {
					j.build = c.Build
				} else if c.Build != nil && !reflect.DeepEqual(j.build, c.Build) {
					o.out.publish(MessageEvent{Level: LevelWarning, Pod: p.Name, Container: c.Name,
						Text: fmt.Sprintf("image %s has two different builds; using the one of %s", c.Image, j.users)})
				}
				continue
			}
			j := &imageJob{ref: c.Image, build: c.Build, users: p.Name + "/" + c.Name}
			byRef[c.Image] = j
			jobs = append(jobs, j)
		}
	}
	var (
		mu       sync.Mutex
		errs     []error
		infraRef string
		ids      = map[string]string{}
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	g := new(errgroup.Group)
	g.SetLimit(o.opts.Parallel)
	if infra {
		g.Go(func() error {
			ref, err := o.rt.InfraImage(ctx)
			if err != nil {
				fail(fmt.Errorf("make the infra image: %w", err))
				o.out.publish(ImageEvent{Ref: ref, Action: ImageInfra, Error: err.Error(), Done: true})
				return nil
			}
			mu.Lock()
			infraRef = ref
			mu.Unlock()
			o.out.publish(ImageEvent{Ref: ref, Action: ImageInfra, Done: true})
			return nil
		})
	}
	for _, j := range jobs {
		g.Go(func() error {
			id, err := o.resolveImage(ctx, stack, j)
			if err != nil {
				fail(err)
				return nil
			}
			if id != "" {
				mu.Lock()
				ids[j.ref] = id
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	return infraRef, ids, errors.Join(errs...)
}

// imageID is the local image's ID when the runtime tells it ("" otherwise), and whether the
// image is present.
func (o *Orchestrator) imageID(ctx context.Context, ref string) (string, bool, error) {
	if ii, ok := o.rt.(ImageInspector); ok {
		id, err := ii.ImageID(ctx, ref)
		if isNotFound(err) {
			return "", false, nil
		}
		return id, err == nil, err
	}
	present, err := o.rt.ImagePresent(ctx, ref)
	return "", present, err
}

func (o *Orchestrator) resolveImage(ctx context.Context, stack *recipes.Stack, j *imageJob) (string, error) {
	id, present, err := o.imageID(ctx, j.ref)
	if err != nil {
		return "", fmt.Errorf("look up image %s (%s): %w", j.ref, j.users, err)
	}
	if present {
		o.out.publish(ImageEvent{Ref: j.ref, Action: ImagePresent, Done: true})
		return id, nil
	}
	if err := o.makeImage(ctx, stack, j); err != nil {
		return "", err
	}
	id, _, err = o.imageID(ctx, j.ref)
	if err != nil {
		return "", fmt.Errorf("look up image %s (%s): %w", j.ref, j.users, err)
	}
	return id, nil
}

// makeImage builds or pulls an image that is not present.
func (o *Orchestrator) makeImage(ctx context.Context, stack *recipes.Stack, j *imageJob) error {
	if j.build != nil {
		return o.buildImage(ctx, stack, j)
	}
	o.out.publish(ImageEvent{Ref: j.ref, Action: ImagePull, Message: "pulling"})
	if err := o.rt.PullImage(ctx, j.ref, o.imageProgress(j.ref, ImagePull)); err != nil {
		o.out.publish(ImageEvent{Ref: j.ref, Action: ImagePull, Error: err.Error(), Done: true})
		// The runtime's error names the image, why it could not be pulled and how to provide
		// it: say only who needs it.
		return fmt.Errorf("%s: %w", j.users, err)
	}
	o.out.publish(ImageEvent{Ref: j.ref, Action: ImagePull, Done: true})
	return nil
}

// imageProgress publishes the progress of making image ref as ImageEvents.
func (o *Orchestrator) imageProgress(ref string, action ImageAction) ProgressFunc {
	return func(p Progress) {
		o.out.publish(ImageEvent{Ref: ref, Action: action, Step: p.ID, Message: p.Message, Current: p.Current, Total: p.Total})
	}
}

// buildImage builds j's image from its build section through the engine (which uses its
// cache), its progress published as ImageEvents.
func (o *Orchestrator) buildImage(ctx context.Context, stack *recipes.Stack, j *imageJob) error {
	o.out.publish(ImageEvent{Ref: j.ref, Action: ImageBuild, Message: "building"})
	dir := j.build.Context
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(stack.Dir, dir)
	}
	dockerfile := j.build.Dockerfile
	if dockerfile == "" && j.build.DockerfileInline == "" {
		dockerfile = "Dockerfile"
	}
	// No labels: the classic builder makes each one a step of its own, a container
	// committed (about 1 s each on Engine 20.10), which every rebuild of a watch would pay.
	req := BuildRequest{Ref: j.ref, Context: dir, Dockerfile: dockerfile, DockerfileInline: j.build.DockerfileInline,
		Args: j.build.Args, Target: j.build.Target}
	if err := o.rt.BuildImage(ctx, req, o.imageProgress(j.ref, ImageBuild)); err != nil {
		o.out.publish(ImageEvent{Ref: j.ref, Action: ImageBuild, Error: err.Error(), Done: true})
		return fmt.Errorf("%s: %w", j.users, err) // the runtime's error names the build and its cause
	}
	o.out.publish(ImageEvent{Ref: j.ref, Action: ImageBuild, Done: true})
	return nil
}

// pump follows the engine's events for the stack and routes them to the pods. When the
// stream ends (the engine drops slow listeners and replays only briefly), it subscribes
// again and relists, so that nothing that happened meanwhile is missed. A stream that ended
// because the engine is gone (a relist fails as unreachable) is an outage: the pump waits
// for the engine (awaitEngine), then subscribes and relists, which the pods reconcile from.
// A supervisor whose call failed as if the engine were gone nudges it to check.
func (o *Orchestrator) pump(ctx context.Context) {
	filter := StackFilter(o.names.Stack)
	since := o.clock.Now()
	failures := 0
	for first := true; ; first = false {
		sctx, cancel := context.WithCancel(ctx)
		evs, errs := o.rt.Events(sctx, since, filter)
		if !first {
			err := o.relist(ctx, filter)
			switch {
			case err == nil:
			case ctx.Err() != nil:
				cancel()
				return
			case errors.Is(err, ErrEngineUnreachable):
				cancel()
				if !o.awaitEngine(ctx, filter, err) {
					return
				}
				continue
			default:
				o.out.publish(MessageEvent{Level: LevelWarning, Text: fmt.Sprintf("re-list the stack's containers: %v", err)})
			}
		}
		got, lost, err := o.forward(ctx, filter, evs, errs)
		cancel()
		if ctx.Err() != nil {
			return
		}
		since = o.clock.Now()
		if lost == nil {
			// A dropped stream, or a lost engine? The engine says, by answering or not.
			lost = o.checkEngine(ctx, filter)
		}
		if lost != nil {
			if !o.awaitEngine(ctx, filter, lost) {
				return
			}
			failures = 0
			continue
		}
		if got {
			failures = 0
		}
		if failures == 0 {
			if err == nil {
				err = errors.New("stream closed")
			}
			o.out.publish(MessageEvent{Level: LevelWarning,
				Text: fmt.Sprintf("lost the engine's event stream (%v): re-listing the stack's containers and subscribing again", err)})
		}
		delay := backoffDelay(recipes.Backoff{Initial: recipes.Duration(recipes.DefaultBackoffInitial), Max: recipes.Duration(recipes.DefaultBackoffMax)}, failures)
		failures++
		if delay > 0 {
			t := o.clock.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
		}
	}
}

// forward routes events until the stream ends (its error) or the engine is found gone (lost).
// A supervisor that saw a container die on its own nudges it: it checks the engine (a
// stopping engine stops the containers itself) and tells every pod the outcome, or returns
// the loss.
func (o *Orchestrator) forward(ctx context.Context, filter map[string]string, evs <-chan EngineEvent, errs <-chan error) (got bool, lost, err error) {
	for evs != nil || errs != nil {
		select {
		case ev, ok := <-evs:
			if !ok {
				evs = nil
				continue
			}
			got = true
			l, _ := DecodeLabels(ev.Labels)
			o.podsMu.RLock()
			if pr := o.pods[l.Pod]; pr != nil && pr.sup != nil {
				pr.sup.box.Put(msgEvent{ev: ev})
			}
			o.podsMu.RUnlock()
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			err = e
		case <-o.engine.nudge:
			gen := o.engine.checks.Add(1)
			if lost := o.checkEngine(ctx, filter); lost != nil {
				return got, lost, nil
			}
			o.podsMu.RLock() // an Apply installs pods meanwhile
			for _, pr := range o.pods {
				pr.sup.box.Put(msgEngineChecked{gen: gen})
			}
			o.podsMu.RUnlock()
		case <-ctx.Done():
			return got, nil, ctx.Err()
		}
	}
	return got, nil, err
}

// relist lists and inspects the stack's containers and hands each pod its own. It hands
// nothing when the listing is not whole (an inspect failed other than for a container gone
// meanwhile): a pod would take a container missing from it for removed.
func (o *Orchestrator) relist(ctx context.Context, filter map[string]string) error {
	epoch := o.epoch.Add(1)
	infos, err := o.rt.ListContainers(ctx, filter)
	if err != nil {
		return err
	}
	byPod := map[string][]ContainerInfo{}
	for _, info := range infos {
		full, err := o.rt.InspectContainer(ctx, info.ID)
		if isNotFound(err) {
			continue // gone meanwhile: its absence says so
		}
		if err != nil {
			return err
		}
		l, _ := DecodeLabels(full.Labels)
		byPod[l.Pod] = append(byPod[l.Pod], full)
	}
	o.podsMu.RLock()
	defer o.podsMu.RUnlock()
	for name, pr := range o.pods {
		if pr.sup != nil {
			pr.sup.box.Put(msgRelist{infos: byPod[name], epoch: epoch})
		}
	}
	return nil
}

// stackVolumes creates the stack volumes that the selected pods mount, before any pod: each
// is shared by the pods that mount it, as the stack network is. A failure removes the ones
// created.
func (o *Orchestrator) stackVolumes(ctx context.Context) error {
	labels := StackLabels(o.stack, o.opts.Version).Encode()
	for _, v := range o.usedStackVolumes() {
		name := o.names.StackVolume(v.Name)
		var err error
		if v.Medium == recipes.MediumMemory {
			err = o.rt.CreateMemoryVolume(ctx, name, labels, int64(v.SizeLimit))
		} else {
			err = o.rt.CreateVolume(ctx, name, labels)
		}
		if err != nil {
			o.removeStackVolumes(ctx)
			return fmt.Errorf("create volume %s: %w", name, err)
		}
	}
	return nil
}

// removeStackVolumes removes the stack volumes, once every pod is gone (unless the run was
// abandoned with the engine unreachable, which leaves everything, as the network).
func (o *Orchestrator) removeStackVolumes(ctx context.Context) {
	if o.abandoned {
		return
	}
	for _, v := range o.usedStackVolumes() {
		name := o.names.StackVolume(v.Name)
		if err := o.rt.RemoveVolume(ctx, name); err != nil && !isNotFound(err) {
			o.out.publish(MessageEvent{Level: LevelWarning, Text: fmt.Sprintf("remove volume %s: %v", name, err),
				Hint: "remove it with: docker volume rm " + name})
		}
	}
}

// usedStackVolumes are the stack volumes a selected pod mounts (and does not shadow with a
// volume of its own).
func (o *Orchestrator) usedStackVolumes() []*recipes.Volume {
	var out []*recipes.Volume
	for _, v := range o.stack.Volumes {
		used := false
		for _, p := range o.selected {
			for _, c := range p.Containers() {
				for _, m := range c.Volumes {
					used = used || m.Type == recipes.MountVolume && m.Source == v.Name && p.Volume(v.Name) == nil
				}
			}
		}
		if used {
			out = append(out, v)
		}
	}
	return out
}
