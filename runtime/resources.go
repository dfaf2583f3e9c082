package runtime

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// CreateNetwork creates a bridge network. A name already taken — by a leftover of ours or by
// someone else — is ErrConflict with a message saying which. Engines before API 1.44 do not
// reject duplicate network names; there sidecar checks after creating and, when it lost a race
// or the name was taken, removes its own network again, so the outcome is the same on every
// engine.
func (d *Docker) CreateNetwork(ctx context.Context, name string, labels map[string]string) (string, error) {
	res, err := d.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: labels})
	if err != nil {
		if isConflict(err) {
			return "", d.nameConflict(ctx, "network", name, err)
		}
		return "", engineError("create network "+name, err)
	}
	list, err := d.cli.NetworkList(ctx, client.NetworkListOptions{Filters: client.Filters{}.Add("name", name)})
	if err != nil {
		return "", engineError("create network "+name+": check for duplicates", err)
	}
	var same []network.Summary
	for _, n := range list.Items {
		if n.Name == name { // the name filter matches substrings
			same = append(same, n)
		}
	}
	if len(same) <= 1 {
		return res.ID, nil
	}
	// The oldest holds the name; ties go to the smaller ID, so every racer agrees.
	sort.Slice(same, func(i, j int) bool {
		if !same[i].Created.Equal(same[j].Created) {
			return same[i].Created.Before(same[j].Created)
		}
		return same[i].ID < same[j].ID
	})
	if same[0].ID == res.ID {
		return res.ID, nil
	}
	if _, err := d.cli.NetworkRemove(ctx, res.ID, client.NetworkRemoveOptions{}); err != nil && !isNotFound(err) {
		return "", engineError("create network "+name+": remove the duplicate "+shortID(res.ID), err)
	}
	return "", conflictError("network", name, same[0].ID, same[0].Labels, nil)
}

// RemoveNetwork removes a network by name or ID. A missing network is not an error.
func (d *Docker) RemoveNetwork(ctx context.Context, name string) error {
	_, err := d.cli.NetworkRemove(ctx, name, client.NetworkRemoveOptions{})
	inUse := err != nil && strings.Contains(err.Error(), "active endpoints")
	return removeError("network", name, err, inUse, "containers are still attached to it: remove them first")
}

// ListNetworks lists the networks whose labels include filter, sorted by name.
func (d *Docker) ListNetworks(ctx context.Context, filter map[string]string) ([]orchestrator.Resource, error) {
	res, err := d.cli.NetworkList(ctx, client.NetworkListOptions{Filters: labelFilters(filter)})
	return listed("networks", res.Items, err, func(n network.Summary) orchestrator.Resource {
		return orchestrator.Resource{ID: n.ID, Name: n.Name, Labels: n.Labels}
	})
}

// CreateVolume creates a local volume. The engine answers a create of an existing name with
// that volume; when it does not carry exactly our stack label it is someone else's (or
// another stack's), and that is ErrConflict.
func (d *Docker) CreateVolume(ctx context.Context, name string, labels map[string]string) error {
	return d.createVolume(ctx, name, labels, nil)
}

// CreateMemoryVolume creates a local volume backed by a tmpfs (type=tmpfs, device=tmpfs,
// o=size=N when size is set): the engine mounts it once for all the containers that use it,
// so a pod's containers share it, as an emptyDir of medium Memory; its content lives in
// memory and is gone when the volume is unmounted (the infra container holds it for the pod's
// life). Conflicts are as for CreateVolume.
func (d *Docker) CreateMemoryVolume(ctx context.Context, name string, labels map[string]string, size int64) error {
	opts := map[string]string{"type": "tmpfs", "device": "tmpfs"}
	if size > 0 {
		opts["o"] = "size=" + strconv.FormatInt(size, 10)
	}
	return d.createVolume(ctx, name, labels, opts)
}

func (d *Docker) createVolume(ctx context.Context, name string, labels, driverOpts map[string]string) error {
	res, err := d.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Driver: "local", DriverOpts: driverOpts, Labels: labels})
	if err != nil {
		if isConflict(err) {
			return conflictError("volume", name, name, nil, err)
		}
		return engineError("create volume "+name, err)
	}
	got := res.Volume.Labels
	for k, v := range labels {
		if got[k] != v {
			return volumeConflict(name, got)
		}
	}
	return nil
}

func volumeConflict(name string, labels map[string]string) error {
	if l, _ := orchestrator.DecodeLabels(labels); l.Stack != "" {
		stack := l.Stack
		return newError(fmt.Sprintf("the volume name %q is taken by sidecar stack %q: run `sidecar down --stack %s` to remove it", name, stack, stack), nil, orchestrator.ErrConflict)
	}
	return newError(fmt.Sprintf("the volume name %q is taken by a volume sidecar did not create: rename the stack (name: in the recipe) or remove it yourself (`docker volume rm %s`)", name, name), nil, orchestrator.ErrConflict)
}

// RemoveVolume removes a volume. A missing volume is not an error.
func (d *Docker) RemoveVolume(ctx context.Context, name string) error {
	_, err := d.cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{})
	return removeError("volume", name, err, isConflict(err), "a container still uses it: remove the container first")
}

// ListVolumes lists the volumes whose labels include filter, sorted by name.
func (d *Docker) ListVolumes(ctx context.Context, filter map[string]string) ([]orchestrator.Resource, error) {
	res, err := d.cli.VolumeList(ctx, client.VolumeListOptions{Filters: labelFilters(filter)})
	return listed("volumes", res.Items, err, func(v volume.Volume) orchestrator.Resource {
		return orchestrator.Resource{ID: v.Name, Name: v.Name, Labels: v.Labels}
	})
}

// removeError is the outcome of the removal of the network or volume name (kind): nil when
// it went or was not there, the reason (what it is still used by, and the fix) when inUse.
func removeError(kind, name string, err error, inUse bool, reason string) error {
	if err == nil || isNotFound(err) {
		return nil
	}
	if inUse {
		return newError(fmt.Sprintf("remove %s %s: %s", kind, name, reason), err)
	}
	return engineError("remove "+kind+" "+name, err)
}

// listed is the answer to a list of networks or volumes (what): the engine's items as
// resources, sorted by name, or the engine's error.
func listed[T any](what string, items []T, err error, resource func(T) orchestrator.Resource) ([]orchestrator.Resource, error) {
	if err != nil {
		return nil, engineError("list "+what, err)
	}
	out := make([]orchestrator.Resource, 0, len(items))
	for _, it := range items {
		out = append(out, resource(it))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
