#!/usr/bin/env bash
# Run a scalelab sweep as a Slurm job array: array task I of N runs `--shard I/N`, and all
# tasks write to one results directory on a shared filesystem. Trial ids are hashes of the
# config, so the tasks never write the same file and need no coordinator.
#
# Submit from the repository root (on a shared filesystem), with array indices 0..N-1:
#
#   sbatch --array=0-7 scale-out/slurm-sweep.sh example-quadratic
#   sbatch --array=0-31%8 scale-out/slurm-sweep.sh lecun-sizes --preset gpu --workers 2
#
# Everything after the experiment is passed to the sweep (--preset, --axis, --workers,
# --timeout, --heap, --retry-failed, --out). Resubmitting the same command resumes: finished
# trials are skipped, and a trial another task still holds (a claim file with a heartbeat) is
# never run twice. When Slurm stops a task (time limit, scancel, preemption) it sends SIGTERM:
# the sweep then leaves its running trials unrecorded so the next submission reruns them.
#
# The sweep runs with the permissions of `deno task sweep` (deno.json), started directly so
# that it receives Slurm's signals itself. It writes only under results/ and out/ of the
# checkout; to write results elsewhere (a shared scratch filesystem), name the directory in
# SCALELAB_ALLOW_WRITE (comma-separated) and pass --out:
#
#   SCALELAB_ALLOW_WRITE=/scratch/me/runs sbatch --array=0-7 scale-out/slurm-sweep.sh \
#     gpt-isoflop --preset gpu --out /scratch/me/runs/gpt-isoflop
#
# On a cluster without GPUs, override the GPU request: sbatch --gpus-per-task=0 ... (WebGPU then
# runs on the CPU through Mesa's lavapipe).
#
#SBATCH --job-name=scalelab-sweep
#SBATCH --output=slurm-%x-%A_%a.out
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=4
#SBATCH --gpus-per-task=1
#SBATCH --time=04:00:00
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "error: missing EXPERIMENT; usage: sbatch --array=0-(N-1) scale-out/slurm-sweep.sh EXPERIMENT [sweep flags]" >&2
  exit 2
fi
if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
  echo "error: not a job array task; submit with sbatch --array=0-(N-1)" >&2
  exit 2
fi
experiment="$1"
shift

# N is the number of array tasks; indices must be exactly 0..N-1 so that shards cover the grid.
shards=$((SLURM_ARRAY_TASK_MAX + 1))
if [[ "${SLURM_ARRAY_TASK_MIN}" != 0 || "${SLURM_ARRAY_TASK_COUNT}" != "${shards}" ]]; then
  echo "error: array indices must be 0..N-1 with no gaps (got min ${SLURM_ARRAY_TASK_MIN}, max ${SLURM_ARRAY_TASK_MAX}, count ${SLURM_ARRAY_TASK_COUNT})" >&2
  exit 2
fi

cd "${SLURM_SUBMIT_DIR}"
# The deno binary pinned in package.json (npm install puts it here); override with DENO=...
deno="${DENO:-node_modules/deno/deno}"
# WebGPU backend: vulkan works on NVIDIA/AMD drivers and on CPU nodes (Mesa lavapipe).
export DENO_WEBGPU_BACKEND="${DENO_WEBGPU_BACKEND:-vulkan}"

# The flags of `deno task sweep` (tests/scale_out/scale_out_test.ts checks they match).
write="results,out${SCALELAB_ALLOW_WRITE:+,${SCALELAB_ALLOW_WRITE}}"
flags=(--no-prompt --allow-read "--allow-write=${write}" --allow-env "--allow-run=${deno}")

echo "shard ${SLURM_ARRAY_TASK_ID}/${shards} of ${experiment} on $(hostname)" >&2
exec "${deno}" run "${flags[@]}" lib/cli/sweep.ts "${experiment}" \
  --shard "${SLURM_ARRAY_TASK_ID}/${shards}" "$@"
