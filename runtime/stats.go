package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// Stats streams resource usage of a running container, about once a second (the engine's
// pace), until the container stops (nil) or ctx ends (ctx.Err()). CPU and memory are computed
// as `docker stats` does. It implements orchestrator.StatsSource.
func (d *Docker) Stats(ctx context.Context, id string, sink func(orchestrator.Stats)) error {
	res, err := d.cli.ContainerStats(ctx, id, client.ContainerStatsOptions{Stream: true})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return engineError("read stats of container "+shortID(id), err)
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var s container.StatsResponse
		if err := dec.Decode(&s); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read stats of container %s: %w", shortID(id), err)
		}
		if s.Read.IsZero() || s.Read.Year() <= 1 {
			return nil // the engine sends an empty sample once the container has stopped
		}
		sink(statsSample(s))
	}
}

func statsSample(s container.StatsResponse) orchestrator.Stats {
	return orchestrator.Stats{
		Time:        s.Read,
		CPUPercent:  cpuPercent(s),
		MemoryBytes: memoryUsage(s.MemoryStats),
		MemoryLimit: s.MemoryStats.Limit,
	}
}

// cpuPercent is the docker CLI's formula: the container's CPU time over the system's in the
// interval between the two samples, times the number of online CPUs.
func cpuPercent(s container.StatsResponse) float64 {
	cpuDelta := float64(s.CPUStats.CPUUsage.TotalUsage) - float64(s.PreCPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(s.CPUStats.SystemUsage) - float64(s.PreCPUStats.SystemUsage)
	cpus := float64(s.CPUStats.OnlineCPUs)
	if cpus == 0 {
		cpus = float64(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	if cpuDelta <= 0 || sysDelta <= 0 {
		return 0
	}
	return cpuDelta / sysDelta * cpus * 100
}

// memoryUsage is the docker CLI's figure: usage minus the inactive page cache
// (total_inactive_file on cgroup v1, inactive_file on v2).
func memoryUsage(m container.MemoryStats) uint64 {
	if v, ok := m.Stats["total_inactive_file"]; ok && v < m.Usage {
		return m.Usage - v
	}
	if v := m.Stats["inactive_file"]; v < m.Usage {
		return m.Usage - v
	}
	return m.Usage
}
