"""PyTorch CPU anchor for `npm run bench -- extract` (bench/extract.ts).

Throughput of the torchvision MobileNetV2 / InceptionV3 backbones with random weights (weights=None: the
speed does not depend on the weight values), up to the global-average-pool features (the classifier is
replaced by Identity, as SynthLens' extractors stop at the pool), in eval mode under torch.inference_mode(),
on random input of the extractor's size. Wall and process CPU time (all threads) per round; prints one
JSON object on stdout.

usage: /usr/bin/python3 bench/extract_torch.py MODEL IMAGES BATCH REPEATS THREADS
  MODEL: mobilenet_v2 | inception_v3
"""
import json
import sys
import time

import torch
import torchvision


def median(v: list) -> float:
    s = sorted(v)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def main() -> None:
    name, images, batch, repeats, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if name == 'mobilenet_v2':
        model = torchvision.models.mobilenet_v2(weights=None)
        model.classifier = torch.nn.Identity()
        size = 224
    elif name == 'inception_v3':
        model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False)
        model.fc = torch.nn.Identity()
        size = 299
    else:
        raise SystemExit(f'unknown model {name}')
    model.eval()
    x = torch.rand(images, 3, size, size)
    times = []
    cpu = []
    with torch.inference_mode():
        dim = model(x[:batch]).shape[1]  # warm-up (allocations, kernel selection)
        for _ in range(repeats):
            t0 = time.perf_counter()
            c0 = time.process_time()
            for s in range(0, images, batch):
                model(x[s:s + batch])
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    print(json.dumps({
        'model': name, 'torch': torch.__version__, 'torchvision': torchvision.__version__, 'threads': torch.get_num_threads(),
        'images': images, 'batch': batch, 'size': size, 'dim': int(dim), 'seconds': times, 'cpuSeconds': cpu,
        'imagesPerSecond': images / median(times), 'imagesPerCpuSecond': images / median(cpu),
    }))


if __name__ == '__main__':
    main()
