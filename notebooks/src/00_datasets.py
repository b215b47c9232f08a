# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: lang,-all
#     formats: py:percent
#     notebook_metadata_filter: kernelspec
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] lang="en"
# # 00 · Data for unsupervised anomaly detection
#
# **Unsupervised anomaly detection** learns what *normal* looks like from normal examples only,
# and then flags whatever does not fit. Defects are rare and come in endless variations (a crack
# today, a stain tomorrow), so we cannot collect enough labelled examples of every kind; normal
# products, on the other hand, are plentiful.
#
# - **Training**: normal images only, no labels.
# - **Testing**: normal and defective images. A model gives every image (and every pixel) an
#   *anomaly score*; the labels and masks are used only to *evaluate* the scores (AUROC).
#
# This notebook shows the data both lectures use:
# 1. the MVTec AD **capsule** (or its offline synthetic stand-in) with pixel masks of the defects,
# 2. **handwritten digits**: 7 and 8 are normal, 2 is the anomaly,
# 3. how to bring **your own images**.

# %% [markdown] lang="ja"
# # 00 · 教師なし異常検知のためのデータ
#
# **教師なし異常検知**では、**正常**なデータだけから「正常とはどういうものか」を学習し、それに当てはまらないものを異常として検出します。欠陥はめったに起こらず、その種類も無数にあります（ひび割れのこともあれば、汚れのこともあります）。あらゆる種類の欠陥についてラベル付きの例を十分に集めることはできませんが、正常な製品ならいくらでも手に入ります。
#
# - **学習**：正常画像だけを使います。ラベルは不要です。
# - **テスト**：正常画像と欠陥画像を使います。モデルは画像ごと（さらに画素ごと）に**異常スコア**（**異常度**）を出力し、ラベルとマスクはそのスコアを評価するため（AUROC）だけに使います。
#
# このノートブックでは、2つの講義で使うデータを紹介します。
# 1. MVTec AD の**カプセル**（またはオフライン用の合成カプセル）と、欠陥の画素単位のマスク
# 2. **手書き数字**：7 と 8 が正常、2 が異常
# 3. **自分の画像**を使う方法

# %%
import tempfile

import matplotlib.pyplot as plt

from lecture_utils import config
from lecture_utils.data import digits, mvtec, sources
from lecture_utils.data import plots
from lecture_utils.messages import tell

tell("cache_folder", path=config.data_dir())

# %% [markdown] lang="en"
# ### Optional: keep your files on Google Drive
#
# Colab deletes a runtime's files when it is recycled (after idling, or at the end of the day):
# downloads, trained weights and checkpoints would be lost. Set `USE_DRIVE = True` to keep them in
# `MyDrive/lecture_utils` on your Google Drive instead (Colab asks for permission once).

# %% [markdown] lang="ja"
# ### 任意：ファイルを Google ドライブに保存する
#
# Colab のランタイムは、しばらく使わないと（または1日の終わりに）リセットされ、ダウンロードしたデータ、学習済みの重み、チェックポイントが消えてしまいます。`USE_DRIVE = True` にすると、これらを Google ドライブの `MyDrive/lecture_utils` に保存します（初回に Colab がアクセスの許可を求めます）。

# %%
USE_DRIVE = False  # True: keep the cache (downloads, weights, checkpoints) on Google Drive (Colab only)
if USE_DRIVE:
    sources.use_drive()

# %% [markdown] lang="en"
# ### Which data
#
# `DATA` chooses the capsule images: `"auto"`, `"lecture"` (the lecture's archive with its trained
# weights), `"mvtec"` (the official MVTec AD capsule) or `"synthetic"`; `DIGITS_DATA` the digits:
# `"auto"`, `"mnist"` or `"bundled"` (scikit-learn's 8x8 digits). With `"auto"` the notebook uses
# the real data already on this machine; in Colab it downloads it (elsewhere only with
# `LECTURE_UTILS_DOWNLOAD=1`, e.g. `make lectures DOWNLOAD=1`). If no real data can be had it uses the
# offline stand-in and prints one line saying why and how to get the real data. A named source
# (`"lecture"`, `"mvtec"`, `"mnist"`) is downloaded if needed and stops with an error if it cannot be.

# %% [markdown] lang="ja"
# ### どのデータを使うか
#
# `DATA` はカプセル画像の選択で、`"auto"`、`"lecture"`（講義用アーカイブ、学習済みの重み付き）、`"mvtec"`（MVTec AD 公式のカプセル）、`"synthetic"`（合成カプセル）のどれかです。`DIGITS_DATA` は数字の選択で、`"auto"`、`"mnist"`、`"bundled"`（scikit-learn 同梱の 8x8 の数字）のどれかです。`"auto"` では、このマシンにすでにある実データを使い、Colab ではダウンロードします（それ以外の環境では `LECTURE_UTILS_DOWNLOAD=1`、例えば `make lectures DOWNLOAD=1` のときだけ）。実データが手に入らなければオフライン用の代わりのデータを使い、その理由と実データの入手方法を1行で表示します。名前で指定したデータ（`"lecture"`、`"mvtec"`、`"mnist"`）は必要ならダウンロードし、手に入らなければエラーで止まります。

# %%
DATA = "auto"  # capsule: "auto" | "lecture" | "mvtec" | "synthetic"
DIGITS_DATA = "auto"  # digits: "auto" | "mnist" | "bundled"
capsule, source = sources.capsule(DATA)
digit_source = sources.digits(DIGITS_DATA, variable="DIGITS_DATA")
tell("data_chosen", capsule=source, folder=capsule, digits=digit_source)

# %% [markdown] lang="en"
# ## 1. The MVTec layout
#
# Every image data set in these lectures is a folder in the layout of MVTec AD:
#
# ```
# capsule/
#   train/good/000.png ...            normal images only
#   test/good/000.png ...             normal test images
#   test/crack/000.png ...            one folder per defect type
#   ground_truth/crack/000_mask.png   white = defective pixels, one mask per defect image
# ```
#
# `sources.capsule(DATA)` above chose the capsule data: with `"auto"`, a folder you set in
# `$LECTURE_UTILS_CAPSULE`, else the lecture's archive or the official MVTec AD capsule (already
# downloaded, or downloaded now in Colab), else the **synthetic capsule**, generated on the first
# call. Look at which one you got and at the counts: many normal training images, a few test
# images of each type.

# %% [markdown] lang="ja"
# ## 1. MVTec 形式のフォルダ構成
#
# この講義で使う画像データセットは、すべて MVTec AD と同じフォルダ構成です。
#
# ```
# capsule/
#   train/good/000.png ...            正常画像のみ
#   test/good/000.png ...             テスト用の正常画像
#   test/crack/000.png ...            欠陥の種類ごとに1フォルダ
#   ground_truth/crack/000_mask.png   白 = 欠陥の画素（欠陥画像1枚につきマスク1枚）
# ```
#
# 上の `sources.capsule(DATA)` がカプセルのデータを選びました。`"auto"` では、`$LECTURE_UTILS_CAPSULE` に指定したフォルダがあればそれを、なければ講義用アーカイブか MVTec AD 公式のカプセル（ダウンロード済みのもの、または Colab で今ダウンロードしたもの）を、どちらもなければ初回呼び出し時に生成する**合成カプセル**を使います。どれが選ばれたか、そして枚数を確認しましょう。学習用の正常画像は多く、テスト画像は種類ごとに少しずつです。

# %%
info = mvtec.summarize(capsule)
tell("data_capsule", capsule=source, folder=capsule)
for split, counts in info["splits"].items():
    print(f"  {split:5s}", counts)
tell("data_masks", masks=info["masks"], size=info["image_size"])

# %% [markdown] lang="en"
# ## 2. Good and defective capsules
#
# `mvtec.load_split` reads one split into tensors: `images` `[N, 3, H, W]` in [0, 1], `labels`
# (0 = good, 1 = defect), `masks` `[N, 1, H, W]` (all zeros for good images) and the defect type
# of each image. Below is one test image of each type. Look at how *small* most defects are
# compared with the capsule: a model must notice a few wrong pixels, and the masks show exactly
# which ones.

# %% [markdown] lang="ja"
# ## 2. 正常なカプセルと欠陥のあるカプセル
#
# `mvtec.load_split` は1つの分割をテンソルに読み込みます。中身は `images` `[N, 3, H, W]`（値は [0, 1]）、`labels`（0 = 正常、1 = 欠陥）、`masks` `[N, 1, H, W]`（正常画像ではすべて 0）と、各画像の欠陥の種類です。下に、種類ごとにテスト画像を1枚ずつ示します。ほとんどの欠陥はカプセル全体に比べてとても小さいことに注目してください。モデルはわずかな画素の違いに気づく必要があり、マスクはそれがどの画素かを正確に示します。

# %%
test = mvtec.load_split(capsule, "test", image_size=128)
tell("test_labels", shape=test.images.shape, defective=test.labels.tolist().count(1),
     good=test.labels.tolist().count(0))
fig = plots.show_types_with_masks(test, f"Capsule test images and ground-truth masks ({source})")
plt.show()

# %% [markdown] lang="en"
# ## 3. What "normal" looks like
#
# Training uses only `train/good`. Normal capsules are not identical: they shift, tilt a little
# and are lit slightly differently. The mean image and the per-pixel standard deviation show
# where normal images vary (bright in the right panel): mostly along the outline and the print.
# A good anomaly detector must accept this variation and still notice a defect.

# %% [markdown] lang="ja"
# ## 3. 「正常」とはどういうものか
#
# 学習に使うのは `train/good` だけです。正常なカプセルも完全に同じではなく、少しずれたり傾いたり、照明がわずかに違ったりします。平均画像と画素ごとの標準偏差を見ると、正常画像がどこでばらつくか（右図の明るい部分）が分かります。主に輪郭と印字の部分です。よい異常検知器は、このばらつきを正常として受け入れつつ、欠陥には気づかなければなりません。

# %%
train = mvtec.load_split(capsule, "train", image_size=128)
fig = plots.show_grid(train, f"Some normal training capsules ({len(train)} in total)", n=6)
plt.show()
fig = plots.show_mean_and_spread(train, "Normal variation of the training capsules")
plt.show()

# %% [markdown] lang="en"
# The **synthetic capsule** (used when no real data is present) is drawn by
# `lecture_utils.data.synthetic`: a two-tone pill with a printed "500", small random pose and lighting
# changes, and five defect types like MVTec's (`crack`, `faulty_imprint`, `poke`, `scratch`,
# `squeeze`). Each mask is computed as *exactly the pixels that the defect changed*, so the
# masks are pixel-exact. To use the real images instead, set `DATA = "mvtec"` (or `"lecture"`) under
# "Which data" above, which downloads them, or set `LECTURE_UTILS_CAPSULE` to a folder in the MVTec
# layout.

# %% [markdown] lang="ja"
# **合成カプセル**（実データがないときに使います）は `lecture_utils.data.synthetic` が描画します。「500」と印字された2色のカプセルに、位置・傾き・照明の小さなランダムな変化を加え、MVTec と同じ5種類の欠陥（`crack`, `faulty_imprint`, `poke`, `scratch`, `squeeze`）を描きます。マスクは**欠陥によって変化した画素そのもの**として計算するので、画素単位で正確です。実画像を使いたい場合は、上の「どのデータを使うか」で `DATA = "mvtec"`（または `"lecture"`）としてダウンロードするか、MVTec 形式のフォルダを `LECTURE_UTILS_CAPSULE` に設定してください。

# %% [markdown] lang="en"
# ## 4. Handwritten digits: 7 and 8 are normal, 2 is the anomaly
#
# The AnoGAN lecture starts with digits. `digits.digit_sets` selects them: the training set holds
# only the normal digits (the AnoGAN lecture trains on 2,000 sevens and 2,000 eights, `digits.default_counts()`;
# MNIST has that many, the bundled digits fewer, and the reduced settings ask for fewer, so the
# `train` shape printed below gives the count of this run); the test set holds *other* normal
# digits (never seen in training) and the anomaly digit 2, half each (the printed counts). The
# images come from MNIST when it is on disk (`DIGITS_DATA = "mnist"` above downloads it), else
# from scikit-learn's bundled digits (real handwriting, but only 8x8 pixels, hence blurrier). Every
# image is 64x64 with values in [0, 1]. Note the title of the figure: it says which source was
# used.

# %% [markdown] lang="ja"
# ## 4. 手書き数字：7 と 8 が正常、2 が異常
#
# AnoGAN の講義は数字から始めます。`digits.digit_sets` がデータを選びます。学習データは正常な数字だけです。AnoGAN の講義では 7 と 8 を2,000枚ずつ学習に使います（`digits.default_counts()`）。MNIST にはそれだけありますが、同梱の数字はそれより少なく、縮小設定でも減らすので、この実行の枚数は下に表示される `train` の形で確かめてください。テストセットは、学習に使っていない別の正常な数字と異常な 2 を半分ずつ含みます（枚数も表示されます）。画像は、MNIST がディスクにあればそこから（上で `DIGITS_DATA = "mnist"` とすればダウンロードします）、なければ scikit-learn 同梱の数字から作ります。同梱の数字も実際の手書きですが、8x8 画素しかないためぼやけています。どの画像も 64x64 で、値は [0, 1] です。図のタイトルに、どちらのデータを使ったかが表示されます。

# %%
sets = digits.digit_sets(normal=(7, 8), anomaly=(2,), source=digit_source, **digits.default_counts())
tell("digit_sets", source=sets.source, train=tuple(sets.train.images.shape), test=len(sets.test),
     anomalies=int(sets.test.labels.sum()))
fig = plots.show_digit_sets(sets)
plt.show()

# %% [markdown] lang="en"
# ## 5. Your own images
#
# Both lectures' methods run on **any** folder in the MVTec layout, so you can try them on your
# own photos: put normal images in `train/good` and `test/good`, defective ones in
# `test/<type>`, and (optionally) masks in `ground_truth/<type>/<name>_mask.png`. Without a
# `ground_truth` folder the data set is image-level only (no pixel masks). Files are sorted by
# name; hidden files (`.DS_Store`, `Thumbs.db`, `.ipynb_checkpoints`) and non-image files are
# ignored; grayscale, RGBA, palette and 16-bit images are converted.
#
# Check a folder before training with `mvtec.summarize(DIR)`: it counts the images per split and
# type and checks each mask against its image. Here we write the digits above as such a folder (in a
# temporary directory) with `digits.write_digit_folder` and inspect it. (A lecturer's command line,
# `python -m lecture_tools data info DIR` and `data digits OUT --normal 7 8 --anomaly 2`, does the same.)

# %% [markdown] lang="ja"
# ## 5. 自分の画像を使う
#
# 2つの講義の手法は、MVTec 形式のフォルダであれば**どれでも**動くので、自分で撮った写真でも試せます。正常画像を `train/good` と `test/good` に、欠陥画像を `test/<種類>` に入れ、（必要なら）マスクを `ground_truth/<種類>/<名前>_mask.png` に置きます。`ground_truth` フォルダがなければ、画像単位のデータセット（画素マスクなし）として扱います。ファイルは名前順に並べ、隠しファイル（`.DS_Store`、`Thumbs.db`、`.ipynb_checkpoints`）や画像以外のファイルは無視し、グレースケール・RGBA・パレット・16ビットの画像は変換します。
#
# 学習の前に `mvtec.summarize(DIR)` でフォルダを確認しましょう。分割と種類ごとの枚数を数え、各マスクの大きさが画像と一致するかを調べます。ここでは、上の数字を `digits.write_digit_folder` で一時フォルダにこの形式で書き出して確認します（講師用のコマンドライン `python -m lecture_tools data info DIR` と `data digits OUT --normal 7 8 --anomaly 2` でも同じことができます）。

# %%
with tempfile.TemporaryDirectory() as tmp:
    folder = digits.write_digit_folder(f"{tmp}/digits", sets)
    print(mvtec.summarize(folder)["splits"])
    mine = mvtec.load_split(folder, "test", image_size=64, channels=1)
    tell("loaded_back", shape=tuple(mine.images.shape), anomalies=int(mine.labels.sum()), masks=mine.has_masks)

# %% [markdown] lang="en"
# ## 6. Exercises
#
# Replace each `raise NotImplementedError(...)` or `None` by your code; the check below it prints
# "Correct", "Not yet" with a hint, or "Not answered yet". The rest of the notebook runs either way.
#
# **Exercise 1 (implement, about 10 minutes).** *Goal: read a ground-truth mask as a tensor.*
# Write `defect_fraction(masks)`: for masks `[N, 1, H, W]` (1 = defective pixel) return a tensor
# `[N]` with the share of each image's pixels that are defective (0 for a good image).
# %% [markdown] lang="ja"
# ## 6. 課題
#
# 各 `raise NotImplementedError(...)` や `None` を自分のコードに書き換えてください。その下のチェックが「正解」、ヒント付きの「まだです」、または「まだ解答されていません」を表示します。課題を解かなくてもノートブックの残りは実行できます。
#
# **課題1（実装、約10分）**　目標：正解マスクをテンソルとして読めるようになること。マスク `[N, 1, H, W]`（1 = 欠陥の画素）を受け取り、各画像で欠陥の画素が占める割合を並べた `[N]` のテンソルを返す関数 `defect_fraction(masks)` を書いてください（正常画像では 0 です）。

# %%
from lecture_utils.data import homework


def defect_fraction(masks):
    """Share of defective pixels per image: masks [N, 1, H, W] (1 = defect) -> [N] in [0, 1]."""
    # BEGIN SOLUTION
    return (masks > 0.5).flatten(1).float().mean(1)  # [N]
    # END SOLUTION


_ = homework.check_defect_fraction(defect_fraction)

# %%
# HIDDEN CHECKS q1 points=2 function=defect_fraction
import torch
import lecture_utils.checks as hc
from lecture_utils.data.homework import fraction_slips


def cases():
    g = torch.Generator().manual_seed(1)
    random = (torch.rand(5, 1, 16, 16, generator=g) < torch.rand(5, 1, 1, 1, generator=g) * 0.3).float()
    return [{"args": [m]} for m in (random, torch.zeros(1, 1, 8, 8), torch.ones(2, 1, 3, 3))]


def judge(records, cases):
    for record, case in zip(records, cases):
        masks = case["args"][0]
        got = hc.tensor_of(hc.returned(record, "defect_fraction"), (len(masks),), "defect_fraction")
        share = (masks > 0.5).flatten(1).float().mean(1)
        hc.close(got, share, "defect_fraction", mistakes=fraction_slips(share, masks[0].numel()))
    return hc.say({"en": "one number per image, the share of its defective pixels.", "ja": "画像ごとに1つの値、欠陥の画素の割合です。"})

# %% [markdown] lang="en"
# **Exercise 2 (analysis, about 10 minutes).** *Goal: get a feel for how small defects are.*
# With your `defect_fraction`, find the defect type of the capsule test set (`test` of section 2,
# `test.defects` names each image's type) whose masks cover the largest share of the image on
# average. Set `largest_type` to its name, e.g. `"crack"`, and `largest_share` to that average: the
# mean of `defect_fraction` over the images of that type (a share of the image, a number in [0, 1]).
# Is even that share large?
# %% [markdown] lang="ja"
# **課題2（分析、約10分）**　目標：欠陥がどれほど小さいかを実感すること。自分の `defect_fraction` を使い、カプセルのテストセット（2節の `test`。各画像の種類は `test.defects` にあります）で、マスクが画像に占める割合の平均が最も大きい欠陥の種類を求めてください。その名前（例：`"crack"`）を `largest_type` に、その種類の画像についての `defect_fraction` の平均（画像に占める割合。[0, 1] の数）を `largest_share` に入れます。その割合でさえ、大きいと言えるでしょうか。

# %%
kinds = sorted(set(test.defects) - {"good"})
largest_type = max(kinds, key=lambda k: defect_fraction(test.masks[[d == k for d in test.defects]]).mean())  # SOLUTION
largest_share = defect_fraction(test.masks[[d == largest_type for d in test.defects]]).mean().item()  # SOLUTION
_ = homework.check_largest_defect(largest_type, largest_share, test)

# %%
# HIDDEN CHECKS q2 points=1 value=largest_type
import lecture_utils.checks as hc
from lecture_utils.data import mvtec, sources

COLLECT = {"largest_share": "largest_share"}


def reference():
    """{defect type: mean share of defective pixels} of the capsule test set, rebuilt by the grader."""
    split = mvtec.load_split(sources.capsule("auto")[0], "test", image_size=128)
    kinds = sorted(set(split.defects) - {"good"})
    return {k: (split.masks[[d == k for d in split.defects]] > 0.5).flatten(1).float().mean(1).mean().item()
            for k in kinds}


def judge(answer, collected, share):
    if answer is None:
        raise hc.NotAnswered
    hc.expect(isinstance(answer, str) and len(answer) < 100,
              {"en": "largest_type must be the name of a defect type (a string), not a {kind}",
               "ja": "largest_type は欠陥の種類の名前（文字列）です（{kind} ではありません）"}, kind=type(answer).__name__)
    hc.expect(answer in share, {"en": "{answer!r} is not a defect type of the test set",
                                "ja": "{answer!r} はテストセットの欠陥の種類ではありません"}, answer=answer)
    hc.expect(answer == max(share, key=share.get), {"en": "compute the mean of defect_fraction for every type",
                                                    "ja": "すべての種類について defect_fraction の平均を計算しましょう"})
    given = collected.get("largest_share")
    hc.expect(given is not None, {"en": "set largest_share too", "ja": "largest_share も設定しましょう"})
    value, right = hc.number_of(given, "largest_share"), share[answer]
    near = lambda v, target: abs(v - target) <= 1e-4 + 1e-3 * abs(target)
    hc.expect(not near(value, 100 * right), {"en": "largest_share is a percentage: give the share, a number in [0, 1]",
                                             "ja": "largest_share がパーセントです: [0, 1] の割合にしましょう"})
    hc.expect(not near(value, 128 * 128 * right), {"en": "largest_share is a number of pixels: give the share of the image",
                                                   "ja": "largest_share が画素数です: 画像に占める割合にしましょう"})
    hc.expect(near(value, right), {"en": "largest_share is not the mean of defect_fraction over the {answer} images",
                                   "ja": "largest_share が {answer} の画像についての defect_fraction の平均ではありません"},
              answer=answer)
    return hc.say({"en": "{answer} covers the largest share, {share:.2%} of the image.",
                   "ja": "{answer} が最も大きな割合（画像の {share:.2%}）を占めます。"}, answer=answer, share=share[answer])

# %% [markdown] lang="en"
# **Your answer:** (double-click this cell and write here)
# %% [markdown] lang="ja"
# **解答**：（このセルをダブルクリックして、ここに書いてください）
# %% [markdown] lang="en"
# <!-- SOLUTION -->
# **Model answer.** No. The share of the largest type, `largest_share`, is a small part of the image, and every other type covers less: a detector must find a few defective pixels among many normal ones. That is why the lectures score maps pixel by pixel and judge localisation by the pixel AUROC, not only one number per image.
# %% [markdown] lang="ja"
# <!-- SOLUTION -->
# **解答例**：いいえ。最も大きい種類の割合 `largest_share` でも画像のごく一部で、ほかの種類はそれより小さくなります。検出器は多数の正常な画素の中から少数の欠陥の画素を見つけなければなりません。そのため講義では、画像ごとに1つの数だけでなく、マップを画素ごとに評価し、位置の特定を画素 AUROC で判定します。

# %% [markdown] lang="en"
# **Experiment (about 10 minutes, not graded): the simplest detector.** *Goal: see how far "normal
# is the mean image" goes, and where it fails.* The cell below scores every test capsule by how far
# its pixels are from normal: its map $|x - \mu| / (\sigma + 0.1)$ compares each pixel with the mean
# μ and the standard deviation σ of the training images (section 3's figure; the added $0.1$ keeps the
# nearly constant background from dividing by almost zero), and the image's score is the mean of the map's
# 50 largest values. The figure's title gives this run's image and pixel AUROC; the left panel shows
# each test image's score in the column of its type, the highest score of a good image dashed; the
# right panel, where good test capsules get high values. Which defect types rise above the dashed
# line, and which stay among the good capsules? Are they the types that cover the largest share of
# the image (exercise 2)? Where do good capsules look unusual to this detector, and why?
# %% [markdown] lang="ja"
# **実験（約10分、採点なし）：いちばん単純な検出器**　目標：「正常とは平均の画像のこと」と考えてどこまで検出でき、どこで失敗するかを確かめること。下のセルは、各テスト画像の画素が正常からどれだけ離れているかでスコアを付けます。マップ $|x - \mu| / (\sigma + 0.1)$ は、各画素を学習画像の平均 μ と標準偏差 σ（3節の図）と比べたものです（$0.1$ を足すのは、ほとんど変化しない背景でほぼ 0 で割らないためです）。画像のスコアは、マップの大きい方から50個の値の平均です。図のタイトルには、この実行の画像単位と画素単位の AUROC が表示されます。左の図は各テスト画像のスコアを種類ごとの列に点で示し、正常画像のスコアの最大値を破線で示します。右の図は、正常なテスト画像でマップの値が大きくなる場所です。破線より上に出る欠陥の種類はどれで、正常なカプセルに紛れてしまう種類はどれでしょうか。それは画像に占める割合が大きい種類（課題2）と同じでしょうか。この検出器から見て、正常なカプセルはどこが「いつもと違う」のでしょうか。それはなぜでしょうか。

# %%
# the simplest detector: each pixel against the mean and the spread of the normal training images
from lecture_utils.metrics import auroc, pixel_auroc

mean, std = train.images.mean(0), train.images.std(0)       # [3, H, W]: mu and sigma of section 3's figure
maps = ((test.images - mean).abs() / (std + 0.1)).mean(1)   # [N, H, W]: |x - mu| / (sigma + 0.1), channels averaged
scores = maps.flatten(1).topk(50, dim=1).values.mean(1)     # [N]: the mean of each map's 50 largest values
fig = plots.show_scores_by_type(scores, maps, test.defects, f"Distance to the mean image ({source}): image AUROC "
                                f"{auroc(test.labels, scores):.3f}, pixel AUROC {pixel_auroc(test.masks, maps):.3f}")
plt.show()

# %% [markdown] lang="en"
# **Your answer:** (double-click this cell and write here)
# %% [markdown] lang="ja"
# **解答**：（このセルをダブルクリックして、ここに書いてください）
# %% [markdown] lang="en"
# <!-- SOLUTION -->
# **Model answer.** Read the figure of your run. Defects that change the capsule's outline or many pixels rise above the dashed line; small or faint ones stay among the good capsules, because a few changed pixels weigh little against the variation of a good capsule's outline and print. So the share of the image (exercise 2) is not all: what counts is how much a defect differs from the spread of normal pixels at its place. The right panel is bright along the outline and the print, where section 3's spread is largest: a capsule shifted or tilted a little differs there from the *mean* capsule though it is normal. A better detector compares an image with the *closest* normal image rather than with the average one, so that a shift is not an anomaly; lecture 1 builds that closest normal image with a VAE (and moves the test image towards it), lecture 2 with a GAN.
# %% [markdown] lang="ja"
# <!-- SOLUTION -->
# **解答例**：自分の実行の図を読みましょう。カプセルの輪郭を変える欠陥や多くの画素を変える欠陥は破線より上に出ます。小さい欠陥や薄い欠陥は正常なカプセルに紛れます。変わった画素が少ないと、正常なカプセルでも輪郭や印字がばらつく分に比べて、スコアにほとんど効かないからです。つまり画像に占める割合（課題2）だけでは決まらず、欠陥がその場所の正常な画素のばらつきに比べてどれだけ違うかが効きます。右の図は輪郭と印字に沿って明るくなります。3節の図でばらつきが最も大きい場所です。少しずれたり傾いたりしたカプセルは、正常でも、そこで**平均の**カプセルと違って見えます。よりよい検出器は、画像を平均の画像ではなく**最も近い**正常画像と比べ、ずれを異常と見なさないようにします。第1回は VAE でその最も近い正常画像を作り（テスト画像をそこへ動かし）、第2回は GAN で作ります。

# %% [markdown] lang="en"
# **Stretch task (optional, not graded).** Compare each test image with its *nearest* training image
# instead of the mean: `torch.cdist(test.images.flatten(1), train.images.flatten(1)).min(1).values` is
# each test image's distance to the closest good training image. Is its AUROC against `test.labels`
# higher than the mean image's? (Lectures 1 and 2 build the same idea with a model, which can also
# make normal images that are not in the training set.) Or run the cell above on the digits of
# section 4 (`sets.train.images`, `sets.test.images`, `sets.test.labels`): which digits score highest,
# and what does that suggest for lecture 2?
# %% [markdown] lang="ja"
# **発展課題（任意、採点なし）**　平均の画像の代わりに、各テスト画像を**最も近い**学習画像と比べてみましょう。`torch.cdist(test.images.flatten(1), train.images.flatten(1)).min(1).values` は、各テスト画像から最も近い正常な学習画像までの距離です。`test.labels` に対するその AUROC は、平均の画像を使った場合より高いでしょうか（第1回と第2回は同じ考えをモデルで実現します。モデルなら、学習セットにない正常画像も作れます）。あるいは上のセルを4節の数字（`sets.train.images`、`sets.test.images`、`sets.test.labels`）で実行してみましょう。どの数字のスコアが高くなり、それは第2回について何を示しているでしょうか。

# %% [markdown] lang="en"
# ## Summary
#
# - Unsupervised anomaly detection trains on normal data only; labels and masks serve only to
#   evaluate.
# - All image data here uses the MVTec layout (`train/good`, `test/<type>`, `ground_truth`), and
#   `lecture_utils.data.mvtec` reads any such folder into images, labels, masks and types.
# - Offline, the synthetic capsule and scikit-learn's digits stand in for MVTec AD and MNIST; the
#   same code runs on the real data once it is downloaded.
# - The simplest detector, each pixel against the mean normal image, finds defects that change many
#   pixels but also flags normal variation (a shift, a tilt): the lectures compare an image with the
#   closest normal image a model can make instead.
#
# Next: the VAE lecture learns a model of the normal capsules and localises defects.

# %% [markdown] lang="ja"
# ## まとめ
#
# - 教師なし異常検知は正常データだけで学習します。ラベルとマスクは評価にだけ使います。
# - ここで使う画像データはすべて MVTec 形式（`train/good`, `test/<種類>`, `ground_truth`）で、`lecture_utils.data.mvtec` はそのようなフォルダを画像・ラベル・マスク・種類として読み込みます。
# - オフラインでは、合成カプセルと scikit-learn の数字が MVTec AD と MNIST の代わりになります。実データをダウンロードすれば、同じコードがそのまま実データで動きます。
# - 画素ごとに平均の正常画像と比べるだけの最も単純な検出器は、多くの画素を変える欠陥は見つけますが、正常なばらつき（ずれや傾き）も異常と判定します。講義では代わりに、モデルが作れる最も近い正常画像と比べます。
#
# 次は VAE の講義です。正常なカプセルのモデルを学習し、欠陥の位置を特定します。
