"""The pieces of runner/distributed that need no second process: sharding rules, torchrun's environment, and the
single-process guarantee (without torchrun's variables every helper leaves things exactly as they were)."""

from __future__ import annotations

import os

import pytest
import torch

from runner.distributed import DistInfo, read_env, shard_bounds, shard_padded


@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("n", [1, 2, 5, 8, 13, 37])
def test_training_shards_have_equal_length_and_cover_every_item(n: int, world: int) -> None:
    items = list(range(n))
    shards = [shard_padded(items, DistInfo(rank=r, world_size=world)) for r in range(world)]
    assert len({len(s) for s in shards}) == 1, "ranks with different step counts would hang DDP"
    assert len(shards[0]) == -(-n // world)
    assert set().union(*map(set, shards)) == set(items)
    if n % world == 0:
        assert sorted(x for s in shards for x in s) == items  # no padding: disjoint
    assert shards == [shard_padded(items, DistInfo(rank=r, world_size=world)) for r in range(world)]


@pytest.mark.parametrize("block", [1, 3, 8])
@pytest.mark.parametrize("world", [1, 2, 3, 5])
@pytest.mark.parametrize("n", [0, 1, 7, 8, 100, 101])
def test_inference_shards_are_exact_contiguous_and_cut_at_batches(n: int, world: int, block: int) -> None:
    bounds = shard_bounds(n, world, block)
    assert len(bounds) == world
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    for (a, b), (c, _) in zip(bounds, bounds[1:], strict=False):
        assert a <= b == c  # contiguous, disjoint, in rank order = tile order
    for a, b in bounds:
        assert a % block == 0 and (b % block == 0 or b == n)
    sizes = [b - a for a, b in bounds]
    assert max(sizes) - min(sizes) <= block


def test_torchrun_environment_is_read() -> None:
    assert read_env({}) == DistInfo() and not DistInfo().distributed and DistInfo().is_main
    got = read_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"})
    assert (got.rank, got.world_size, got.local_rank, got.local_world_size) == (3, 4, 1, 2)
    assert got.distributed and not got.is_main
    assert got.backend == ("cpu:gloo,cuda:nccl" if torch.cuda.is_available() else "gloo")


def test_cpu_threads_split_the_node_between_its_ranks() -> None:
    from runner.distributed import cpu_threads

    cores = len(os.sched_getaffinity(0))
    assert cpu_threads(DistInfo(0, 2, 0, 2)) == max(1, cores // 2)
    assert cpu_threads(DistInfo(0, 64, 0, 64)) == 1


def test_without_torchrun_every_helper_is_a_no_op(tmp_path, monkeypatch) -> None:
    from runner import distributed as dist
    from runner.distributed import train as dt
    from runner.ops.batches import epoch_batches, train_batches

    assert "WORLD_SIZE" not in os.environ
    assert dist.info() == DistInfo() and dist.is_main()
    assert dist.job_id().startswith("cli-") and dist.broadcast({"a": 1}) == {"a": 1}
    dist.barrier()
    threads = torch.get_num_threads()
    assert dist.local_device(torch.device("cpu")) == torch.device("cpu") and torch.get_num_threads() == threads
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    assert dt.wrap(model, torch.device("cpu")) is model and dt.unwrap(model) is model
    before = {k: v.clone() for k, v in model.state_dict().items()}
    dt.sync_buffers(model)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert dt.mean_over_ranks({"b": 2.5, "a": 1.0}) == {"b": 2.5, "a": 1.0}
    tiles = list(range(30))
    assert train_batches(None, tiles, 4, seed=3)(2).tiles == epoch_batches(None, tiles, 4, seed=3)(2).tiles
    monkeypatch.delenv(dt.HASH_ENV, raising=False)
    assert dt.write_state_hash(tmp_path, model, model.state_dict()) is None and not list(tmp_path.iterdir())


def test_state_digest_sees_every_value_name_and_dtype() -> None:
    from runner.distributed.train import state_sha256

    state = {"w": torch.randn(3, 4), "n": torch.tensor(7), "h": torch.randn(2).to(torch.bfloat16)}
    same = {k: v.clone() for k, v in reversed(list(state.items()))}
    assert state_sha256(state) == state_sha256(same)
    changed = dict(same, w=same["w"].clone())
    changed["w"][1, 2] += 1e-6
    assert state_sha256(changed) != state_sha256(state)
    assert state_sha256(dict(state, n=torch.tensor(7.0))) != state_sha256(state)
    assert state_sha256({"v": state["w"]}) != state_sha256({"u": state["w"]})
