"""`make gpu-check`: the CUDA path proven on a GPU, in one prepared command (issue 22).

    python -m bench.gpu_check --device cuda        # or: make gpu-check   (DEVICE=cpu: small sizes, in make test)

Writes bench/out/gpu-check/report.json and summary.txt: every code path with a CUDA meaning compared with the
CPU, batch sizing and out-of-memory halving provoked for real, speed beside the matmul peak, classify end to end,
and a one-process NCCL group through torchrun. See docs/performance.md, "GPU check".
"""
