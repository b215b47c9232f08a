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
# # 02 · AnoGAN: anomaly detection with a GAN
#
# A **GAN** (generative adversarial network) learns to *generate* images like its training images.
# If we train it on normal images only, it can draw normal images and nothing else. AnoGAN
# (Schlegl et al., 2017) turns this into an anomaly detector:
#
# 1. train a DCGAN (generator G, discriminator D) on normal digits (7 and 8);
# 2. for a test image x, **search** the latent vector z whose G(z) looks most like x;
# 3. if even the best G(z) differs from x, x is something G never learned: an **anomaly** (a 2).
#
# Why a GAN rather than simply comparing to the training images? G gives a smooth, compact
# description of "all normal images" (a 20-number z), including 7s and 8s it never saw, and D
# gives a second opinion: whether x and G(z) have the same *features*.
#
# This lecture follows chapter 6 of 『つくりながら学ぶ! PyTorchによる発展ディープラーニング』 and
# completes it: float labels for `BCEWithLogitsLoss`, G and D frozen in eval mode during the
# search, a search batched over the whole test set, an AUROC over the whole test set (200 real MNIST
# digits in the full settings; section 1 prints this run's count), and a fast encoder that replaces the search.

# %% [markdown] lang="ja"
# # 02 · AnoGAN: GAN による異常検知
#
# **GAN**（敵対的生成ネットワーク）は、学習画像に似た画像を生成できるように学習します。正常画像だけで学習すれば、GAN が描けるのは正常画像だけです。AnoGAN（Schlegl ら、2017）はこれを異常検知に使います。
#
# 1. 正常な数字（7 と 8）だけで DCGAN（生成器 G と識別器 D）を学習します。
# 2. テスト画像 x に対して、G(z) が x に最も似るような潜在変数 z を**探索**します。
# 3. 最も似た G(z) でも x と違うなら、x は G が学習しなかったもの、つまり**異常**（2）です。
#
# 学習画像と直接比べずに GAN を使う理由は2つあります。G は「正常画像全体」を20次元の潜在変数 z で滑らかに表し、学習で見たことのない 7 や 8 も描けます。そして D は「x と G(z) の特徴が同じか」という、もう一つの観点を与えます。
#
# この講義は『つくりながら学ぶ! PyTorchによる発展ディープラーニング』第6章に沿い、足りない部分を補います。補うのは、`BCEWithLogitsLoss` のための float のラベル、探索中に G と D を eval モードで固定すること、テストセット全体をまとめて探索するバッチ処理、テストセット全体での AUROC（通常の設定では MNIST の200枚。この実行の枚数は1節で表示します）、そして探索を置き換える高速なエンコーダです。

# %%
import torch

from lecture_utils.anogan import dcgan, homework as homework_anogan, published
from lecture_utils.anogan import plots
from lecture_utils.anogan import train as gan_train
from lecture_utils.anogan.score import encoder_scores, to_unit
from lecture_utils.anogan.search import SearchConfig, latent_search
from lecture_utils.data import digits, sources
from lecture_utils.checkpoint import cache_file
from lecture_utils.config import pick, pick_device, seed_everything, show_device, warn_if_slow
from lecture_utils.messages import tell
from lecture_utils.metrics import auroc
from lecture_utils.viz import roc_curves

seed_everything(0)
device = pick_device()
show_device(device)
warn_if_slow(device)

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
# **From lecture 1.** There a VAE learned good capsules, and a test image was *moved* (the iterative
# projection) toward an image the VAE explains; the pixels that moved were the defect. AnoGAN keeps
# the idea "compare x with the closest normal image the model can make" but changes where the search
# happens: not in the image, but in the generator's latent space z. Section 8 compares the two
# methods side by side. The ROC curve and the AUROC were introduced in lecture 1, section 7.

# %% [markdown] lang="ja"
# **第1回からのつながり**　第1回では VAE が正常なカプセルを学習し、テスト画像を VAE が説明できる画像へ**動かし**ました（反復射影）。動いた画素が欠陥でした。AnoGAN も「x を、モデルが作れる最も近い正常画像と比べる」という考えは同じですが、探す場所が違います。画像の中ではなく、生成器の潜在変数 z の空間で探します。8節で2つの方法を並べて比べます。ROC 曲線と AUROC は第1回の7節で説明しました。

# %% [markdown] lang="en"
# ## 1. Data: normal 7s and 8s, anomalous 2s
#
# Training uses normal digits only; the test set mixes normal digits from MNIST's *test* split
# (never seen in training) with 2s. `DATA` chooses the digits: `"mnist"`, `"bundled"`
# (scikit-learn's 8x8 digits, no download) or `"auto"`: MNIST if it is on disk, else downloaded in
# Colab (elsewhere only with `LECTURE_UTILS_DOWNLOAD=1`), else the bundled digits with one line
# saying why; `"mnist"` stops with an error if MNIST cannot be had. In the full settings we train
# on 4,000 MNIST digits, ten times the book's 400: the GAN sees the same number of images per
# minute either way, but more variety keeps it from memorising (see section 3). The reduced
# settings and the bundled digits use fewer (the line printed below gives this run's count). Images are scaled
# to [-1, 1], the range of G's `tanh` output. A few normal digits of the training split are held
# out (`sets.val`, never used for training) to choose a threshold in exercise 2. Check the source and the counts.

# %% [markdown] lang="ja"
# ## 1. データ：正常な 7 と 8、異常な 2
#
# 学習には正常な数字だけを使います。テストセットは、MNIST の**テスト**分割（学習では見ていないもの）の正常な数字と 2 を混ぜたものです。`DATA` で数字を選びます。`"mnist"`、`"bundled"`（scikit-learn 同梱の 8x8 の数字。ダウンロード不要）のほかに `"auto"` を指定でき、`"auto"` では MNIST が手元にあればそれを使い、なければ Colab ではダウンロードし（それ以外では `LECTURE_UTILS_DOWNLOAD=1` のときだけ）、それもできなければ理由を1行表示して同梱の数字で代用します。`"mnist"` を指定して MNIST が手に入らなければ、エラーで止まります。通常の設定では、書籍の 400枚の 10倍にあたる MNIST の数字 4,000枚で学習します。GAN が1分あたりに見る画像の枚数は同じですが、画像が多様なほど暗記を防げます（3節）。縮小設定や同梱の数字では枚数が少なくなります（この実行の枚数は下に表示されます）。画像は G の出力 `tanh` の範囲 [-1, 1] に変換します。学習分割の正常な数字の一部を取り分けておき（`sets.val`。学習には使いません）、課題2でしきい値を決めるのに使います。どのデータを何枚使うかを確認しましょう。

# %%
DATA = "auto"  # "auto" | "mnist" | "bundled"
DIGITS = dict(normal=(7, 8), anomaly=(2,), n_train=pick(4000, 400), n_test=pick(200, 100), n_val=pick(120, 80))
sets = digits.digit_sets(**DIGITS, source=sources.digits(DATA))
x_train = to_unit(sets.train.images)          # [N, 1, 64, 64] in [-1, 1]
x_test = to_unit(sets.test.images)
y_test = sets.test.labels                             # 1 = anomaly (a 2)
x_val = to_unit(sets.val.images[sets.val.labels == 0])  # held-out normal digits of the training split
tell("gan_data", source=sets.source, train=tuple(x_train.shape), val=len(x_val), test=len(x_test),
     anomalies=int(y_test.sum()))

# %%
plots.show_images(x_train, "training images (normal only)");
plots.show_images(x_test[y_test == 1], "test anomalies");

# %% [markdown] lang="en"
# ## 2. DCGAN: the generator G and the discriminator D
#
# The book's networks, with its layer names (`layer1` ... `layer4`, `last`) so its trained
# weights load. G turns z (20 numbers) into a 64x64 image by four transposed convolutions
# (4 -> 8 -> 16 -> 32 -> 64 pixels); D does the reverse and returns two things: the *logit*
# (real or fake?) and the *feature* f_D(x), its last 512x4x4 map before the logit. The feature is
# what AnoGAN's discrimination term compares. Look at the shapes.

# %% [markdown] lang="ja"
# ## 2. DCGAN：生成器 G と識別器 D
#
# 書籍のネットワークを、その層の名前（`layer1` ... `layer4`、`last`）のまま使うので、書籍の学習済み重みもそのまま読み込めます。G は z（20次元のベクトル）を 4つの転置畳み込みで 64x64 の画像にします（4 -> 8 -> 16 -> 32 -> 64画素）。D はその逆向きで、2つの値を返します。**ロジット**（本物か偽物か）と、ロジットの直前の 512x4x4 のマップである**特徴** f_D(x) です。AnoGAN の識別損失はこの特徴を比べます。形状を確認しましょう。

# %%
G, D = dcgan.build(z_dim=20, width=64, seed=0)
z = torch.randn(4, 20)
fake = G(z)
logit, feature = D(fake)
tell("gan_shapes", z=tuple(z.shape), fake=tuple(fake.shape), logit=tuple(logit.shape), feature=tuple(feature.shape))

# %% [markdown] lang="en"
# ## 3. Training, and how to see it fail
#
# D learns to tell real from generated images, G learns to fool D:
#
# $$L_D = \mathrm{BCE}(D(x), 1) + \mathrm{BCE}(D(G(z)), 0), \qquad L_G = \mathrm{BCE}(D(G(z)), 1).$$
#
# The book trains on 400 images (200 sevens and 200 eights) for many epochs with D's learning rate
# four times G's (4e-4 vs 1e-4). GAN training is a balance, and with these settings it tips easily:
# when D wins, **L_D falls towards 0** (it is never fooled), G's gradient vanishes and **L_G climbs**;
# G then draws the same few shapes for every z (**mode collapse**), and AnoGAN can no longer
# reproduce normal digits either. With the book's recipe shortened to 15 epochs on 400 real MNIST
# digits, D won (`docs/results.md`, by `benchmarks/original_recipes.py`: last-epoch L_D 0.002,
# L_G 7.2) and the AUROC was 0.701. This run is shorter; two plots show how it goes while training
# runs:
#
# - the **loss curves**: a healthy run keeps $L_D$ between $2 \ln 2 \approx 1.4$ (D guessing) and about $0.5$;
# - the **sample grid**: G(z) for the *same* eight z after each epoch; rows of identical or
#   noisy images mean collapse.
#
# What helps: **more training images** (4,000 MNIST 7s and 8s instead of 400, for the same
# number of steps, so D cannot memorise them), **more, smaller updates** (batch 16 instead of 64),
# a D that learns no faster than G (both 2e-4, with DCGAN's Adam betas 0.5 and 0.999), one-sided
# **label smoothing** (real label 0.9) and a little **instance noise** on D's inputs (annealed to
# zero). With the same 16,000 image-steps on 4,000 MNIST images, the book's settings gave an encoder
# AUROC of 0.836 and these 0.941 (`benchmarks/RESULTS_anogan.md`, section "Training recipes": real
# MNIST, measured with `benchmarks/bench_anogan.py` and these `GANConfig` fields at commit 725ac20,
# each row's command given there (`--gan ...`); this notebook does not recompute them). Below we first run the book's recipe briefly on at most 400 of our training
# images (the plot's title gives the number: the bundled digits have fewer), then ours. Trained weights are cached
# in the data folder, so a re-run (or the other language's notebook) loads them.
#
# **Published weights.** On real MNIST in Colab, the lecturer's weights for exactly these settings and
# digits (both GANs here and the encoder of section 6, trained by this notebook and published with the
# course's release) are downloaded and loaded instead of trained; a line says so. `TRAIN = True`
# trains them here instead. Offline, on the bundled digits or with other settings, the notebook trains here.

# %% [markdown] lang="ja"
# ## 3. 学習と、その失敗の見分け方
#
# D は本物と生成画像を見分けるように、G は D をだますように学習します。
#
# $$L_D = \mathrm{BCE}(D(x), 1) + \mathrm{BCE}(D(G(z)), 0), \qquad L_G = \mathrm{BCE}(D(G(z)), 1).$$
#
# 書籍は 7 と 8 を 200枚ずつ使い、D の学習率を G の 4倍（4e-4 と 1e-4）にして何エポックも学習します。GAN の学習は綱引きで、この設定では簡単に崩れます。D が勝つと、つまり D がもうだまされなくなると、**L_D が 0 に近づき**、G の勾配が消えて **L_G が上がり続けます**。すると G はどの z に対しても同じ形しか描かなくなり（**モード崩壊**）、AnoGAN は正常な数字すら再現できなくなります。書籍のレシピを MNIST の 400枚で15エポックに縮めて学習したときは D が勝ち（`docs/results.md`、`benchmarks/original_recipes.py`。最後のエポックの L_D は 0.002、L_G は 7.2）、AUROC は 0.701 でした。この実行はもっと短いので、どうなるかを学習中に次の 2つの図で確かめます。
#
# - **損失曲線**：健全な学習では、$L_D$ は $0.5$ 程度から $2 \ln 2 \approx 1.4$（D が当てずっぽうで判定するときの値）までの範囲にとどまります。
# - **サンプルの格子**：エポックごとに、**同じ** 8個の z から描いた G(z) を並べたものです。同じ画像やノイズばかりが並ぶ行は、崩壊のサインです。
#
# 効くのは、同じステップ数でも**学習画像を増やす**（MNIST の 7 と 8 を 400枚ではなく 4,000枚。D が暗記できなくなります）、**小さな更新を数多く行う**（バッチ 64 ではなく 16）、D の学習を G より速くしない（どちらも 2e-4。Adam の betas は DCGAN の 0.5 と 0.999）、片側**ラベル平滑化**を使う（本物のラベルを 0.9 に）、D の入力に少しの**インスタンスノイズ**を加える（徐々に 0 へ）ことです。MNIST の 4,000枚で、学習で見る画像の延べ枚数を同じ 16,000枚にそろえると、エンコーダの AUROC は書籍の設定で 0.836、これらの工夫で 0.941 でした（`benchmarks/RESULTS_anogan.md` の "Training recipes" 節。MNIST で、`benchmarks/bench_anogan.py` にこれらの `GANConfig` の値を与えてコミット 725ac20 の時点で測ったもので、各行のコマンド（`--gan ...`）もそこにあります。このノートブックでは再計算しません）。以下では、まず書籍のレシピで学習画像のうち最大 400枚を短く学習し（枚数は図のタイトルにあります。同梱の数字ではもっと少なくなります）、次に私たちのレシピで学習します。学習済みの重みはデータフォルダにキャッシュされるので、再実行したときや、もう一方の言語のノートブックでは読み込むだけです。
#
# **公開された重み**　Colab で MNIST を使うときは、講師がこの設定と同じ数字で学習し、講義のリリースで公開した重み（ここでの 2つの GAN と 6節のエンコーダ。このノートブック自身が学習したもの）をダウンロードし、学習せずに読み込みます（その旨を1行表示します）。ここで学習するには `TRAIN = True` にします。オフライン、同梱の数字、別の設定のときは、これまでどおりここで学習します。

# %% [markdown] lang="en"
# One training step, written out: D is updated first on a real batch and on G's images (detached,
# so this update leaves G alone), then G is updated to make D call its images real. `train_gan`
# below calls this very function for every batch (it is passed as `step=gan_step`), so editing it
# changes the training you see. Trained weights are cached (or published): to see an edit, set
# `TRAIN = True` below and delete the cached file printed below, or change a setting.
# %% [markdown] lang="ja"
# 1回の学習ステップを書き下します。まず本物のバッチと G の画像（detach するので、この更新は G を変えません）で D を更新し、次に D が G の画像を本物と判定するように G を更新します。下の `train_gan` はバッチごとにまさにこの関数を呼びます（`step=gan_step` として渡します）。書き換えれば学習そのものが変わります。学習済みの重みはキャッシュされる（または公開されている）ので、変更を反映させるには下で `TRAIN = True` にして表示されるファイルを削除するか、設定を変えてください。

# %%
# core: gan_step
import torch.nn.functional as F


def gan_step(G, D, opt_g, opt_d, x, cfg, noise_std, gen):
    """One update of D, then of G, on a real batch x [B, 1, H, W]; returns (L_D, L_G)."""
    B, dev = len(x), x.device

    def noisy(images):  # instance noise on D's inputs (its std is annealed to 0 over the epochs)
        return images + noise_std * torch.randn(images.shape, generator=gen).to(dev) if noise_std > 0 else images

    z = torch.randn(B, cfg.z_dim, generator=gen).to(dev)        # [B, z_dim]
    fake = G(z)                                                  # [B, 1, H, W]
    # L_D = BCE(D(x), real_label) + BCE(D(G(z)), 0); real_label 0.9: one-sided label smoothing
    real_logit, _ = D(noisy(x))
    fake_logit, _ = D(noisy(fake.detach()))
    d_loss = (F.binary_cross_entropy_with_logits(real_logit.view(-1), torch.full((B,), cfg.real_label, device=dev))
              + F.binary_cross_entropy_with_logits(fake_logit.view(-1), torch.zeros(B, device=dev)))
    if not torch.isfinite(d_loss):   # checked before the step: a NaN/inf loss never reaches the weights
        raise FloatingPointError("L_D became NaN/inf: lower the learning rates")
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    # L_G = BCE(D(G(z)), 1), through the updated D
    fake_logit, _ = D(noisy(fake))
    g_loss = F.binary_cross_entropy_with_logits(fake_logit.view(-1), torch.ones(B, device=dev))
    if not torch.isfinite(g_loss):
        raise FloatingPointError("L_G became NaN/inf: lower the learning rates")
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


# %%
TRAIN = False  # True: train here even when published weights are available
BOOK = gan_train.GANConfig(epochs=pick(10, 2), batch_size=64, g_lr=1e-4, d_lr=4e-4, betas=(0.0, 0.9),
                           real_label=1.0, instance_noise=0.0)
book_G, book_D = dcgan.build(seed=0)
book_path = cache_file("anogan/book-gan", data=DIGITS | {"n_train": 400}, source=sets.source, cfg=BOOK)
book_x = x_train[::max(1, len(x_train) // 400)]
published.provide(book_path, BOOK, book_x, sets.source, train=TRAIN)  # the lecturer's weights, if they fit
book_history = gan_train.train_gan(book_G, book_D, book_x, BOOK, checkpoint=book_path, device=device,
                                   step=gan_step)  # our gan_step above, for every batch
plots.plot_losses(book_history, f"The book's recipe on {len(book_x)} images");

# %%
plots.plot_sample_grids(book_history, title="Book's recipe: G(z) for fixed z, epoch by epoch");

# %% [markdown] lang="en"
# What does the grid show? Three cases look different. Digits that differ from column to column:
# G has learned. Grey textures with a checkerboard pattern (the trace of the transposed
# convolutions): G is *undertrained*, not collapsed. Sharp but identical images in every column of a
# row, after D has won (L_D near 0, L_G climbing): *mode collapse*. Look at the last row of the grid
# and at the two loss curves to tell which case this run shows.

# %% [markdown] lang="ja"
# 格子は何を示しているでしょうか。3つの場合は見た目が違います。列ごとに違う数字が並ぶなら、G は学習できています。灰色の地に市松模様（転置畳み込みの跡）が見えるなら、G は崩壊したのではなく**学習不足**です。D が勝った後（L_D が 0 に近く、L_G が上がり続ける）、ある行のどの列にもくっきりとした同じ画像が並ぶなら**モード崩壊**です。格子の最後の行と2本の損失曲線を見て、この実行がどの場合かを見分けましょう。

# %% [markdown] lang="en"
# Now our recipe (the defaults of `GANConfig`) on all training images, for as many epochs as it
# takes to show G about 32,000 images (8 epochs of 4,000 MNIST digits; the bundled digits are
# fewer, so they get more epochs: the settings printed below give the number). The progress bar
# shows both losses; compare the curves and the grid with the book's.

# %% [markdown] lang="ja"
# 次に私たちのレシピ（`GANConfig` の既定値）ですべての学習画像を使い、G が約 32,000枚の画像を見るまで学習します（MNIST の 4,000枚なら 8エポック。同梱の数字は枚数が少ないのでエポック数が増えます。下に表示される設定にその数があります）。進捗バーに両方の損失が表示されます。曲線と格子を書籍のものと比べましょう。

# %%
GAN = gan_train.GANConfig.for_images(len(x_train))
print(GAN)
gan_path = cache_file("anogan/gan", data=DIGITS, source=sets.source, cfg=GAN)
published.provide(gan_path, GAN, x_train, sets.source, train=TRAIN)
history = gan_train.train_gan(G, D, x_train, GAN, checkpoint=gan_path, device=device, step=gan_step)

# %%
plots.plot_losses(history, "Our recipe: batch 16, equal learning rates, label smoothing, noise");

# %%
plots.plot_sample_grids(history, title="Our recipe: G(z) for fixed z, epoch by epoch");

# %% [markdown] lang="en"
# ## 4. Latent search
#
# For every test image x we look for the z that G maps closest to x, minimising with Adam
#
# $$L(z) = (1-\lambda)\sum |x - G(z)| + \lambda \sum |f_D(x) - f_D(G(z))|, \qquad \lambda = 0.1.$$
#
# The first term (**residual**) compares pixels, the second (**discrimination**) compares D's
# features. The anomaly score is $A(x) = L(z^*)$ at the best z found. G and D are frozen in eval
# mode: the book left G's BatchNorm in training mode, so an image's score depended on the other
# images in its batch. Because L is a sum of per-image terms and Adam keeps separate moments for
# every number of z, one batched search over all test images gives exactly the per-image results,
# in less time (on real MNIST, `docs/results.md`: 1.9× faster on one CPU thread). Watch the two
# curves: does L fall for both, and does the anomalies' curve stay higher? (Section 5 measures how
# well the final scores separate them.)

# %% [markdown] lang="ja"
# ## 4. 潜在変数の探索
#
# 各テスト画像 x について、G が x に最も近い画像に写す z を、Adam で次の損失を最小化して探します。
#
# $$L(z) = (1-\lambda)\sum |x - G(z)| + \lambda \sum |f_D(x) - f_D(G(z))|, \qquad \lambda = 0.1.$$
#
# 第1項（**残差損失**）は画素を、第2項（**識別損失**）は D の特徴を比べます。異常スコア（異常度）は、見つけた最良の z での値 $A(x) = L(z^*)$ です。G と D は eval モードで固定します。書籍では G の BatchNorm が学習モードのままで、画像のスコアが同じバッチのほかの画像に左右されていました。L は画像ごとの項の和で、Adam は z の要素ごとに別々のモーメントを持つので、テスト画像すべてをまとめて 1回探索しても、1枚ずつ探索したのと同じ結果がより短い時間で得られます（MNIST で 1スレッドの CPU なら 1.9倍速くなります。`docs/results.md`）。2本の曲線を見ましょう。どちらも L が下がるでしょうか。異常の曲線は高いままでしょうか。（最後のスコアがどれだけ両者を分けるかは、5節で測ります。）

# %% [markdown] lang="en"
# A(x) and the search, written out: `anomaly_score` and `search_z` have the names, arguments and
# results of the package's functions (a test keeps each equal to its twin). Every figure of sections
# 4 and 5, and the explorer of section 7, show this run; the package's `latent_search` does this for
# the whole test set (in chunks, with optional restarts).
# %% [markdown] lang="ja"
# A(x) と探索を書き下します。`anomaly_score` と `search_z` は、パッケージの同名の関数と名前・引数・戻り値が同じです（テストで両者が一致することを確かめています）。4節と 5節の図、7節のエクスプローラはすべてこの実行結果です。パッケージの `latent_search` はこれをテストセット全体に対して行います（分割して、必要なら複数の初期値から）。

# %%
# core: anomaly_score
from typing import NamedTuple


class AnomalyScore(NamedTuple):
    score: torch.Tensor           # A(x) [B]
    residual: torch.Tensor        # sum|x - G(z)| [B]
    discrimination: torch.Tensor  # sum|f_D(x) - f_D(G(z))| [B]
    x_hat: torch.Tensor           # G(z) [B, 1, 64, 64]


def anomaly_score(G, D, x, z, lam=0.1):
    """A(x) = L(z) = (1 - lam) * sum|x - G(z)| + lam * sum|f_D(x) - f_D(G(z))| per image, with its two terms."""
    x_hat = G(z)                                                 # [B, 1, 64, 64]
    _, f_x = D(x)                                                # [B, 8192]: D's feature f_D
    _, f_hat = D(x_hat)
    residual = (x - x_hat).abs().flatten(1).sum(1)               # [B]
    discrimination = (f_x - f_hat).abs().sum(1)                  # [B]
    return AnomalyScore((1 - lam) * residual + lam * discrimination, residual, discrimination, x_hat)

# %%
# core: search_z
def search_z(G, D, x, z0, cfg, every=0, bar=None):
    """Adam on z [B, z_dim] with G and D frozen (settings cfg: lr, iterations, lam); returns each
    image's best z, L per step [iterations + 1, B] and z every `every` steps (the path the explorer
    replays); `bar`, a progress bar, advances once per step."""
    for net in (G, D):
        net.eval()                   # BatchNorm uses its running statistics: a score ignores the batch
        net.requires_grad_(False)    # only z is optimised
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=cfg.lr)
    best_z, best = z0.clone(), torch.full((len(z0),), float("inf"), device=z0.device)
    history, path = [], []
    for t in range(cfg.iterations + 1):
        if every and t % every == 0:
            path.append(z.detach().cpu().clone())
        loss = anomaly_score(G, D, x, z, cfg.lam).score          # [B]
        history.append(loss.detach())
        better = loss.detach() < best                            # keep each image's best z so far
        best_z[better], best[better] = z.detach()[better], loss.detach()[better]
        if t == cfg.iterations:
            break
        opt.zero_grad()
        loss.sum().backward()        # a sum: z_i's gradient is that of A(x_i) alone
        opt.step()
        if bar is not None:
            bar.update(1)
    return best_z, torch.stack(history), path

# %%
import time

from lecture_utils.anogan.score import SearchResult, score_latents
from lecture_utils.anogan.search import initial_z

SEARCH = SearchConfig()
print(SEARCH)
t0 = time.perf_counter()
z0 = initial_z(len(x_test), G.z_dim, SEARCH.seed)               # the package's start: z ~ N(0, I), seeded
every = max(1, SEARCH.iterations // 20)                          # z kept every `every` steps for the explorer
z_best, search_history, z_path = search_z(G, D, x_test.to(device), z0.to(device), SEARCH, every=every)
found = score_latents(G, D, x_test, z_best, SEARCH.lam)         # A(x), G(z) and |x - G(z)| at the best z
search = SearchResult(**vars(found), history=search_history.cpu(), seconds=time.perf_counter() - t0)
tell("searched", n=len(x_test), steps=SEARCH.iterations, seconds=search.seconds, rate=len(x_test) / search.seconds)

# %%
plots.plot_search_history(search.history, y_test);

# %% [markdown] lang="en"
# G was trained on 7s and 8s only: for a 2 (right) the best it can do is the closest image it can
# draw (a 7 or an 8, once G is well trained), and the residual map |x - G(z)| is bright where the two
# differ. Are the normal digits (left) reproduced more closely in this run? (With the reduced
# settings G has trained only briefly.)

# %% [markdown] lang="ja"
# G の学習に使ったのは 7 と 8 だけです。2（右）に対して G にできるのは、G が描ける最も近い画像（G が十分に学習していれば 7 か 8）を描くことまでで、残差マップ |x - G(z)| は両者が異なる場所で明るくなります。この実行では、正常な数字（左）の方がよく再現されているでしょうか。（縮小設定では、G は短時間しか学習していません。）

# %%
normal_idx = torch.nonzero(y_test == 0).flatten()[:4].tolist()
anomaly_idx = torch.nonzero(y_test == 1).flatten()[:4].tolist()
plots.plot_reconstructions(x_test, search, normal_idx + anomaly_idx, "4 normal and 4 anomalous test images",
                           labels=y_test);

# %% [markdown] lang="en"
# ## 5. Evaluation: how well do the scores separate 2s from 7s and 8s?
#
# The **AUROC** is the probability that a random anomaly gets a higher score than a random normal
# image (1 = perfect, 0.5 = chance). The histogram shows the overlap behind it; the ROC curve shows
# every trade-off between false alarms and missed anomalies. We also score each term alone.

# %% [markdown] lang="ja"
# ## 5. 評価：スコアは 2 と 7・8 をどれだけ分けられるか
#
# **AUROC** は、ランダムに選んだ異常画像のスコアがランダムに選んだ正常画像のスコアより高い確率です（1 = 完全に分離、0.5 = ランダムな判定と同じ）。ヒストグラムはその背後にあるスコアの重なりを、ROC 曲線は誤検出と見逃しのすべてのトレードオフを示します。各項だけのスコアも評価します。

# %%
tell("gan_aurocs", score=auroc(y_test, search.scores), residual=auroc(y_test, search.residual),
     discrimination=auroc(y_test, search.discrimination))
plots.plot_score_histogram(y_test, search.scores, "AnoGAN scores after the latent search");

# %% [markdown] lang="en"
# The lowest-scored images (most normal-looking) and the highest-scored ones, with their residual
# maps; each column is titled with its ground truth (normal or anomaly). Are there normal digits
# among the highest? What do they look like?

# %% [markdown] lang="ja"
# スコアが最も低い画像（最も正常に見える画像）と最も高い画像を、残差マップとともに示します。各列の上の文字が正解です（normal は正常、anomaly は異常）。スコアが高い方に正常な数字は混じっているでしょうか。それはどんな数字でしょうか。

# %%
plots.plot_best_worst(x_test, y_test, search, k=4);

# %% [markdown] lang="en"
# ## 6. A fast variant: an encoder instead of the search
#
# The search costs many forward and backward passes per image. f-AnoGAN (Schlegl et al., 2019)
# trains an **encoder** E: x -> z once, after G, with G and D frozen ("izi_f"):
#
# $$L_E = \overline{(x - G(E(x)))^2} + \kappa\, \overline{(f_D(x) - f_D(G(E(x))))^2}.$$
#
# (Adam with a learning rate that decays along a cosine to 0: with a constant rate E ends wherever
# its last noisy steps put it; on real MNIST (`benchmarks/RESULTS_anogan.md`) the validation AUROC
# was 0.937 instead of 0.950.)
# Scoring is then one pass, with the same two terms for this one image (f-AnoGAN's score):
#
# $$A_E(x) = \overline{(x - G(E(x)))^2} + \kappa\, \overline{(f_D(x) - f_D(G(E(x))))^2}, \qquad \kappa = 1.$$
#
# E was trained to make exactly this small on normal images, so it is the natural score; squares
# also weigh a missing stroke (large errors) more than many small misalignments along the edges of a
# normal digit. (On real MNIST, `benchmarks/RESULTS_anogan.md`: scoring E(x) with the search's L1 loss instead
# gave 0.943 against 0.959 on the test set, and 0.928 against 0.947 on a validation set drawn from
# MNIST's *training* split.)
# We also try E(x) as the *starting point* of a short search with the loss L. Compare the AUROCs
# and the times. The last cell of this section prints, from this run's scores, the AUROC of the
# encoder and of the encoder + short search minus the search's ("ahead", "behind", or "level" when
# $|d|$ < 0.005), beside the figures on real MNIST. Its first line names the data: on the bundled
# digits or in the reduced settings the verdict may differ, and one test set gives no interval, so
# a difference of a few thousandths may be noise.

# %% [markdown] lang="ja"
# ## 6. 高速版：探索の代わりにエンコーダ
#
# 探索では、画像 1枚ごとに何度も順伝播と逆伝播を繰り返します。f-AnoGAN（Schlegl ら、2019）は、G の学習後に G と D を固定して、**エンコーダ** E: x -> z を 1度だけ学習します（"izi_f"）。
#
# $$L_E = \overline{(x - G(E(x)))^2} + \kappa\, \overline{(f_D(x) - f_D(G(E(x))))^2}.$$
#
# （Adam の学習率はコサインに沿って 0 まで下げます。一定のままだと E は最後の揺れた更新の位置で終わり、MNIST（`benchmarks/RESULTS_anogan.md`）では検証セットの AUROC が 0.950 ではなく 0.937 でした。）するとスコアは 1回の順伝播で求まります。f-AnoGAN のスコアは、同じ 2つの項をこの画像 1枚について計算したものです。
#
# $$A_E(x) = \overline{(x - G(E(x)))^2} + \kappa\, \overline{(f_D(x) - f_D(G(E(x))))^2}, \qquad \kappa = 1.$$
#
# E は正常画像でまさにこの値を小さくするように学習したので、これが自然なスコアです。2乗を使うと、正常な数字の輪郭に沿った多数の小さなずれよりも、欠けた一画（大きな誤差）が重く数えられます。（MNIST（`benchmarks/RESULTS_anogan.md`）では、E(x) のスコアを探索の L1 損失で計算すると、テストセットで 0.959 に対して 0.943、MNIST の**学習**分割から作った検証セットで 0.947 に対して 0.928 でした。）E(x) を、損失 L による短い探索の出発点にする方法も試します。AUROC と時間を比べましょう。この節の最後のセルは、この実行のスコアから、エンコーダとエンコーダ + 短い探索の AUROC から探索の AUROC を引いた差（「上回る」、「下回る」、$|d|$ < 0.005 なら「同等」）を、MNIST（通常の設定）での値と並べて表示します。最初の行にデータの名前が出ます。同梱の数字や縮小設定では結論が変わることがあり、テストセット1つでは区間が得られないので、1000分の数程度の差は偶然かもしれません。

# %%
# core: izi_f
def izi_f(E, G, D, x, kappa):
    """f-AnoGAN's izi_f loss: the batch mean of mean (x - G(E(x)))^2 + kappa * mean (f_D(x) - f_D(G(E(x))))^2."""
    x_hat = G(E(x))                                              # [B, 1, 64, 64]
    _, f_x = D(x)                                                # [B, 8192]
    _, f_hat = D(x_hat)
    a_r = (x - x_hat).pow(2).flatten(1).mean(1)                  # [B] pixels
    a_d = (f_x - f_hat).pow(2).mean(1)                           # [B] features
    return (a_r + kappa * a_d).mean()


# %%
ENC = gan_train.EncoderConfig.for_images(len(x_train))
E = dcgan.build_encoder(z_dim=20, width=64)
enc_path = cache_file("anogan/encoder", data=DIGITS, source=sets.source, cfg=GAN, enc=ENC)
published.provide(enc_path, ENC, x_train, sets.source, train=TRAIN, trained_with=gan_path)  # only with the published G
enc_history = gan_train.train_encoder_cached(E, G, D, x_train, ENC, enc_path, device=device,
                                             loss=izi_f)  # our izi_f above, G and D frozen
fast = encoder_scores(E, G, D, x_test)
tell("encoder_auroc", auroc=auroc(y_test, fast.scores), seconds=fast.seconds, times=search.seconds / fast.seconds)

# %%
SHORT = SearchConfig(iterations=pick(30, 5), lr=0.01)
refined = latent_search(G, D, x_test, SHORT, z0=fast.z)               # starts at z = E(x)
tell("refined_auroc", steps=SHORT.iterations, auroc=auroc(y_test, refined.scores),
     seconds=refined.seconds + fast.seconds)

# %%
roc_curves(y_test, {"latent search": search.scores, "encoder (one pass)": fast.scores,
           "encoder + short search": refined.scores}, "AnoGAN: 2 vs 7 and 8");

# %%
from lecture_utils.metrics import versus

aurocs = {"search": auroc(y_test, search.scores), "encoder": auroc(y_test, fast.scores),
          "encoder+search": auroc(y_test, refined.scores)}
tell("gan_this_run", source=sets.source, n=len(x_test), anomalies=int(y_test.sum()), steps=SEARCH.iterations)
for method in ("encoder", "encoder+search"):
    tell("versus_image", new=method, old="search", image=versus(aurocs[method], aurocs["search"]))
tell("gan_reference", **published.FULL_RUN)  # this notebook at full settings on real MNIST

# %% [markdown] lang="en"
# ## 7. Explorer: watch the search
#
# Pick a test image and a search step: G(z) moves from its random start towards the closest image
# G can draw (a 7 or an 8, once G is well trained).
# Without ipywidgets (or in a headless run) you see the last step of the first image. The path is
# the very search that was scored (same starting z); the score A(x) printed above is the lowest L
# along it, so it can be slightly below the L shown at the last step.

# %% [markdown] lang="ja"
# ## 7. エクスプローラ：探索の様子を見る
#
# テスト画像と探索ステップを選ぶと、G(z) がランダムな出発点から、G が描ける最も近い画像（G が十分に学習していれば 7 か 8）へ動いていく様子が見られます。ipywidgets がない環境やヘッドレス実行では、最初の画像の最終ステップを表示します。この経路は、スコアを計算した探索そのもの（同じ出発点 z）です。上に表示したスコア A(x) は経路上で最も低い L なので、最後のステップで表示される L より少し低いことがあります。

# %%
few = torch.tensor(normal_idx[:3] + anomaly_idx[:3])
plots.search_explorer(G, D, x_test[few], [z[few] for z in z_path], SEARCH.lam,  # the path of the search scored in section 4
                  every=every, iterations=SEARCH.iterations, labels=y_test[few]);

# %% [markdown] lang="en"
# ## 8. Lecture 1 and lecture 2 side by side
#
# | | lecture 1: VAE + iterative projection | lecture 2: AnoGAN / f-AnoGAN |
# |---|---|---|
# | what is trained | one VAE (encoder + decoder), one loss, stable | G and D against each other (a balance that can tip), then an encoder |
# | where the search happens | in the image: $x_t$ moves, pixel by pixel | in the latent space: $z$ moves (or one pass of E) |
# | what it finds | *where* the defect is (a pixel map), and whether there is one | *whether* the image is anomalous (one score per image); the residual map is a by-product |
# | cost per test image | $T$ gradient steps through the VAE | `SEARCH.iterations` Adam steps through G and D (50 in the full settings), or one pass of E |
# | needs | good images only, aligned objects | good images only; here a small, centred digit |
#
# Both compare x with "the closest normal image the model can make", and both fail in the same way:
# whatever the model cannot reproduce on *normal* images (lecture 1: the print; here: unusual but
# normal handwriting) looks anomalous too.

# %% [markdown] lang="ja"
# ## 8. 第1回と第2回の比較
#
# | | 第1回：VAE + 反復射影 | 第2回：AnoGAN / f-AnoGAN |
# |---|---|---|
# | 学習するもの | VAE 1つ（エンコーダ + デコーダ）、損失は1つで安定 | G と D を競わせる（崩れやすい綱引き）、その後エンコーダ |
# | 探索する場所 | 画像の中：$x_t$ を画素ごとに動かす | 潜在空間：$z$ を動かす（または E を1回通す） |
# | 分かること | 欠陥が**どこに**あるか（画素のマップ）と、あるかどうか | 画像が異常**かどうか**（画像ごとのスコア）。残差マップはその副産物 |
# | テスト画像1枚あたりの計算 | VAE を通る勾配ステップ $T$ 回 | G と D を通る Adam `SEARCH.iterations` ステップ（通常の設定では 50）、または E を1回 |
# | 必要なもの | 正常画像だけ。位置の揃った物体 | 正常画像だけ。ここでは小さく中央にある数字 |
#
# どちらも x を「モデルが作れる最も近い正常画像」と比べ、同じように失敗します。モデルが**正常**画像でも再現できないもの（第1回：印字、ここ：珍しいが正常な筆跡）も異常に見えてしまうのです。

# %% [markdown] lang="en"
# ## 9. Exercises
#
# Replace each `raise NotImplementedError(...)` or `None` by your code; the check below it prints
# "Correct", "Not yet" with a hint, or "Not answered yet" (the rest of the notebook runs either way).
# The checks test properties of your answer and small values worked out by hand; for grading,
# further checks are run on your notebook.
#
# **Exercise 1 (implement, about 15 minutes).** *Goal: turn a score into a decision.* An inspection
# line must fix its threshold t before it sees any defect, from normal images only: it flags an
# image whose score is above t, and it accepts false alarms on a share `fpr` of the normal images.
# Write `threshold_at_fpr(normal_scores, fpr)`, which returns t for the normal scores `[N]`. You may
# flag k = ⌊fpr · N⌋ normal images (fpr · N rounded down): return the lowest t that leaves at most k
# normal scores above it, which is the (k + 1)-th highest normal score. For example, with 20 normal
# scores and `fpr=0.1`, k = 2 and t is the third highest score. Any t from that score up to (not
# including) the next higher normal score flags the same images, and the check accepts it.
# %% [markdown] lang="ja"
# ## 9. 課題
#
# 各 `raise NotImplementedError(...)` や `None` を自分のコードに書き換えてください。その下のチェックが「正解」、ヒント付きの「まだです」、または「まだ解答されていません」を表示します（課題を解かなくてもノートブックの残りは実行できます）。チェックは解答の性質と手で計算した小さな例を確かめます。採点ではさらに別のチェックも実行します。
#
# **課題1（実装、約15分）**　目標：スコアを判定に変えること。検査ラインでは、欠陥を見る前に、正常画像だけからしきい値 t を決めておく必要があります。スコアが t を超えた画像を検出し、正常画像のうち割合 `fpr` までは誤検出を許すことにします。正常スコア `[N]` からしきい値 t を返す `threshold_at_fpr(normal_scores, fpr)` を書いてください。検出してよい正常画像の数は k = ⌊fpr · N⌋（fpr · N の小数点以下を切り捨てた数）です。t を超える正常スコアが k 個以下になる最も低い t、つまり正常スコアのうち大きい方から k + 1番目の値を返します。例えば正常スコアが20個で `fpr=0.1` なら k = 2 で、t は3番目に大きいスコアです。その値から、次に大きい正常スコアの手前までのどの t も同じ画像を検出するので、チェックはどれも正解とします。

# %%
def threshold_at_fpr(normal_scores, fpr):
    """A t with mean(normal_scores > t) <= fpr, one more score above t too many; normal_scores [N]."""
    # BEGIN SOLUTION
    s = normal_scores.sort().values                              # ascending
    allowed = int(fpr * len(s) + 1e-9)                           # normal images we may flag
    return s[len(s) - 1 - allowed]
    # END SOLUTION


_ = homework_anogan.check_threshold_at_fpr(threshold_at_fpr)

# %%
# HIDDEN CHECKS q1 points=2 function=threshold_at_fpr
import torch
import lecture_utils.checks as hc


def cases():
    return [{"args": [torch.randn(n, generator=torch.Generator().manual_seed(seed)) * 3 + 10, fpr]}
            for seed, n, fpr in ((0, 100, 0.05), (2, 37, 0.0), (3, 51, 0.2), (4, 10, 0.25), (5, 100, 0.29))]


def judge(records, cases):
    for record, case in zip(records, cases):
        normal, fpr = case["args"]
        got = hc.returned(record, "threshold_at_fpr")
        hc.expect(got is not None and (not torch.is_tensor(got) or got.numel() == 1),
                  {"en": "threshold_at_fpr must return one number", "ja": "threshold_at_fpr は1つの数を返す必要があります"})
        t, s = float(got), normal.sort().values
        ref = s[len(s) - 1 - int(fpr * len(s) + 1e-9)].item()
        hc.expect((normal > t).sum().item() <= int(fpr * len(s) + 1e-9),
                  {"en": "with fpr = {fpr} too many normal scores are above your threshold",
                   "ja": "fpr = {fpr} のとき、しきい値を超える正常スコアが多すぎます"}, fpr=fpr)
        above = s[s > ref]
        hc.expect(t >= ref and (len(above) == 0 or t < above[0].item()),
                  {"en": "with fpr = {fpr} a lower threshold would do (fpr * N = {allowed!r} in floating point)",
                   "ja": "fpr = {fpr} ではより低いしきい値で十分です（浮動小数点では fpr * N = {allowed!r}）"},
                  fpr=fpr, allowed=fpr * len(s))
    return hc.say({"en": "the threshold is an order statistic of the normal scores.", "ja": "しきい値は正常スコアの順序統計量です。"})

# %% [markdown] lang="en"
# **Exercise 2 (analysis, about 10 minutes).** *Goal: read a detector at one operating point, with a
# threshold fixed before the test set is seen.* A threshold taken from the normal *test* images'
# scores would let the test set choose its own threshold (leakage): the false-positive rate on the
# test set would be 5 % by construction. Instead, use the held-out normal digits of section 1
# (`x_val`: training split, never used to train G, D or E), scored by the same search in the cell
# below (`val_search.scores`). Take your `threshold_at_fpr` of these scores at a 5 % false-positive
# rate and set `tpr_at_5` to the share of the test anomalies (`search.scores`, `y_test == 1`) whose
# score is above it (a number in [0, 1]). How does it compare with the AUROC? What share of the
# normal *test* images is above this threshold, and why is it not exactly 5 %?
# %% [markdown] lang="ja"
# **課題2（分析、約10分）**　目標：テストセットを見る前に決めたしきい値で、検出器を1つの動作点で評価すること。**テスト**画像のうち正常なもののスコアからしきい値を決めると、テストセットが自分でしきい値を選ぶことになります（リーク）。そうするとテストセットでの誤検出率は、作り方からして 5 % になってしまいます。代わりに、1節で取り分けた正常な数字（`x_val`。学習分割の画像で、G、D、E の学習には使っていません）を使います。下のセルが、同じ探索でこれらの画像のスコアを計算します（`val_search.scores`）。これらのスコアから自分の `threshold_at_fpr` で誤検出率 5 % のしきい値を決め、テストの異常画像（`search.scores`、`y_test == 1`）のうちスコアがそれを超える割合（[0, 1] の数）を `tpr_at_5` に入れてください。AUROC と比べてどうでしょうか。正常な**テスト**画像のうちこのしきい値を超えるのは何割で、なぜちょうど 5 % ではないのでしょうか。

# %%
val_search = latent_search(G, D, x_val, SEARCH)  # the search of section 4 (same settings, seeded start)
tell("val_searched", n=len(x_val), seconds=val_search.seconds)

# %%
tpr_at_5 = (search.scores[y_test == 1] > threshold_at_fpr(val_search.scores, 0.05)).float().mean().item()  # SOLUTION
_ = homework_anogan.check_tpr(tpr_at_5, y_test)

# %%
# HIDDEN CHECKS q2 points=1 value=tpr_at_5
import torch
import lecture_utils.checks as hc
from lecture_utils.config import pick
from lecture_utils.data import digits, sources

COLLECT = {"scores": "search.scores.detach().cpu()", "val_scores": "val_search.scores.detach().cpu()"}


def reference():
    """The test labels and the number of held-out normal images, rebuilt by the grader as the notebook builds them."""
    sets = digits.digit_sets(normal=(7, 8), anomaly=(2,), n_train=pick(4000, 400), n_test=pick(200, 100),
                             n_val=pick(120, 80), source=sources.digits("auto"))
    return torch.as_tensor(sets.test.labels).bool(), int((sets.val.labels == 0).sum())


def threshold(normal):
    """The lowest t that at most 5 % of ``normal`` exceed."""
    s = normal.sort().values
    return s[len(s) - 1 - int(0.05 * len(s) + 1e-9)]


def distinct_scores(scores, n):
    """Whether ``scores`` are n finite scores, no two alike (as a search gives, not a made-up list)."""
    return torch.is_tensor(scores) and scores.shape == (n,) and bool(torch.isfinite(scores).all()) \
        and len(scores.unique()) == n


def judge(answer, collected, reference):
    labels, n_val = reference
    if answer is None:
        raise hc.NotAnswered
    answer = hc.number_of(answer, "tpr_at_5")
    scores, val = collected["scores"], collected["val_scores"]
    hc.expect(distinct_scores(scores, len(labels)), {"en": "search.scores is not the search's scores of the whole test set",
                                                     "ja": "search.scores がテストセット全体の探索のスコアではありません"})
    hc.expect(distinct_scores(val, n_val),
              {"en": "val_search.scores is not the search's scores of the held-out normal images",
               "ja": "val_search.scores が取り分けた正常画像の探索のスコアではありません"})
    tpr = (scores[labels] > threshold(val)).float().mean().item()
    leaky = (scores[labels] > threshold(scores[~labels])).float().mean().item()
    hc.expect(abs(answer - tpr) < 1e-6 or abs(answer - leaky) >= 1e-6,
              {"en": "your threshold comes from the test images: take it from val_search.scores",
               "ja": "しきい値がテスト画像から決められています: val_search.scores から決めましょう"})
    anomalies = int(labels.sum())
    hc.expect(abs(answer - tpr * anomalies) >= 1e-6 or tpr * anomalies < 1.5,
              {"en": "tpr_at_5 is a count of flagged anomalies: divide by the number of test anomalies to get the share",
               "ja": "tpr_at_5 が検出した異常の数です: テストの異常画像の数で割って割合にしましょう"})
    hc.expect(abs(answer - 100 * tpr) >= 1e-4 or tpr == 0,
              {"en": "tpr_at_5 is a percentage: give the share, a number in [0, 1]",
               "ja": "tpr_at_5 がパーセントです: [0, 1] の割合にしましょう"})
    hc.expect(abs(answer - tpr) < 1e-6,
              {"en": "not the share of test anomalies above the 5 % threshold of the held-out normal images",
               "ja": "取り分けた正常画像での 5 % のしきい値を超えるテストの異常の割合ではありません"})
    return hc.say({"en": "the search finds {tpr:.0%} of the anomalies.", "ja": "探索は異常の {tpr:.0%} を見つけます。"}, tpr=tpr)

# %% [markdown] lang="en"
# **Your answer:** (double-click this cell and write here)
# %% [markdown] lang="ja"
# **解答**：（このセルをダブルクリックして、ここに書いてください）
# %% [markdown] lang="en"
# <!-- SOLUTION -->
# **Model answer.** The AUROC is the probability that an anomaly scores above a normal image, an average over every threshold; `tpr_at_5` is one point of the ROC curve, the one an inspection line runs at. It is lower than the AUROC whenever the detector's good separation comes from thresholds with many false alarms, so a high AUROC does not promise that most anomalies are found at 5 % false alarms: report the operating point too. The share of normal test images above the threshold, `(search.scores[y_test == 0] > t).float().mean()`, is only near 5 %: the threshold is an order statistic of a few dozen other normal images (`len(x_val)` of them: with 5 % of them allowed above it, it is one of their few highest scores), and the test normals are a different sample. That gap is what a factory sees too; a threshold read off the test normals would hide it by making the test false-positive rate 5 % by construction.
# %% [markdown] lang="ja"
# <!-- SOLUTION -->
# **解答例**：AUROC は異常画像のスコアが正常画像のスコアより高くなる確率で、すべてのしきい値についての平均です。`tpr_at_5` は ROC 曲線の1点、つまり検査ラインが実際に使う動作点です。検出器の分離のよさが誤検出の多いしきい値から来ている場合、`tpr_at_5` は AUROC より低くなります。AUROC が高くても、誤検出率 5 % で異常の大部分を見つけられるとは限らないので、動作点も報告しましょう。しきい値を超える正常なテスト画像の割合 `(search.scores[y_test == 0] > t).float().mean()` は 5 % に近いだけです。しきい値は別の数十枚の正常画像（`len(x_val)` 枚）の順序統計量で（その 5 % が超えてよいので、それらの最も高いスコアの1つです）、テストの正常画像は別の標本だからです。この差は工場でも現れます。テストの正常画像からしきい値を決めると、テストでの誤検出率が作り方からして 5 % になり、この差が隠れてしまいます。

# %% [markdown] lang="en"
# **Exercise 3 (implement, about 15 minutes).** *Goal: know the other way to train an encoder.*
# f-AnoGAN also tried "ziz": draw z, generate G(z), and train E to give z back. Write
# `ziz_loss(E, G, z)`, the mean over the batch and the latent dimensions of (z − E(G(z)))², for z
# `[B, z_dim]`; it must be a scalar tensor whose gradient reaches E's weights. Compare with `izi_f`:
# which one ever looks at a real image?
# %% [markdown] lang="ja"
# **課題3（実装、約15分）**　目標：エンコーダのもう1つの学習法を知ること。f-AnoGAN の論文では "ziz" という方法も試されています。z をサンプリングして G(z) を生成し、E がその z を返すように学習する方法です。z `[B, z_dim]` に対して、(z − E(G(z)))² をバッチと潜在次元について平均した `ziz_loss(E, G, z)` を書いてください。E の重みまで勾配が届くスカラーのテンソルを返す必要があります。`izi_f` と比べて、本物の画像を見るのはどちらでしょうか。

# %%
def ziz_loss(E, G, z):
    """f-AnoGAN's ziz loss: mean (z - E(G(z)))^2 over the batch and the latent dimensions (a scalar)."""
    # BEGIN SOLUTION
    return (z - E(G(z))).pow(2).mean()
    # END SOLUTION


_ = homework_anogan.check_ziz_loss(ziz_loss)

# %%
# HIDDEN CHECKS q3 points=2 function=ziz_loss
import torch
import lecture_utils.checks as hc
from lecture_utils.hidden import build_net

from lecture_utils.anogan.homework import ZIZ_SLIPS

NET = "lecture_utils.anogan.homework:tiny_net"


def cases():
    return [{"args": [{"net": NET, "args": ["E", seed]}, {"net": NET, "args": ["G", seed], "frozen": True},
                      torch.randn(n, 4, generator=torch.Generator().manual_seed(seed))], "grad": [0]}
            for seed, n in ((0, 3), (5, 1), (6, 7))]


def judge(records, cases):
    for record, case in zip(records, cases):
        E, G, z = [build_net(a) if isinstance(a, dict) else a for a in case["args"]]
        squares = (z - E(G(z))).pow(2)                                     # [B, z_dim]
        ref = squares.mean()
        given = {"sum": squares.sum(), "latent sum": squares.sum(1).mean()}
        mistakes = [(v.detach(), ZIZ_SLIPS[k]) for k, v in given.items()]
        hc.close(hc.tensor_of(hc.returned(record, "ziz_loss"), (), "ziz_loss"), ref.detach(), "ziz_loss", mistakes=mistakes)
        hc.expect(record["requires_grad"] and "grads" in record,
                  {"en": "the loss has no gradient for E", "ja": "損失に E の勾配がありません"})
        grads = torch.cat([g.flatten() for g in torch.autograd.grad(ref, list(E.parameters()))])
        hc.close(record["grads"][0], grads, "the gradient of ziz_loss for E", rtol=1e-3, atol=1e-6)
    return hc.say({"en": "ziz compares latents.", "ja": "ziz は潜在変数を比べます。"})

# %% [markdown] lang="en"
# **Your answer:** (double-click this cell and write here)
# %% [markdown] lang="ja"
# **解答**：（このセルをダブルクリックして、ここに書いてください）
# %% [markdown] lang="en"
# <!-- SOLUTION -->
# **Model answer.** Only `izi_f`. `ziz` trains E on generated images G(z) alone, so E never sees a real image and learns to invert G only where G's samples lie; `izi_f` encodes real training images x and compares x with G(E(x)) and D's features of both, so E learns to map real images, the ones it must encode at test time.
# %% [markdown] lang="ja"
# <!-- SOLUTION -->
# **解答例**：`izi_f` だけです。`ziz` は生成画像 G(z) だけで E を学習するので、E は本物の画像を一度も見ず、G のサンプルがある場所でだけ G を逆にすることを学びます。`izi_f` は本物の学習画像 x を符号化し、x と G(E(x))、そして両者の D の特徴を比べるので、E はテスト時に符号化すべき本物の画像を写すことを学びます。

# %% [markdown] lang="en"
# **Exercise 4 (implement, about 25 minutes).** *Goal: write the search loop yourself and see what
# Adam adds.* Write `sgd_search(G, D, x, z0, lr, iterations, lam)`: `iterations` steps of plain
# gradient descent z ← z − lr · ∇_z Σ_i A(x_i) from z0 (A(x) [B] of section 4:
# `anomaly_score(G, D, x, z, lam).score`), with G and D frozen in eval mode and z0 left unchanged;
# return the final z `[B, z_dim]`. Then run it on a few test images and compare A(x) with
# `search_z` after the same number of steps.
# %% [markdown] lang="ja"
# **課題4（実装、約25分）**　目標：探索ループを自分で書き、Adam が何を加えるかを知ること。z0 から始めて単純な勾配降下 z ← z − lr · ∇_z Σ_i A(x_i) を `iterations` 回行い、最後の z `[B, z_dim]` を返す `sgd_search(G, D, x, z0, lr, iterations, lam)` を書いてください。A(x) `[B]` は4節の `anomaly_score(G, D, x, z, lam).score` です。G と D は eval モードで固定し、z0 は書き換えないでください。そのあと数枚のテスト画像で実行し、同じステップ数の `search_z` と A(x) を比べましょう。

# %%
def sgd_search(G, D, x, z0, lr, iterations, lam=0.1):
    """Plain gradient descent on z for A(x) with G and D frozen: the final z [B, z_dim]."""
    # BEGIN SOLUTION
    for net in (G, D):
        net.eval()
        net.requires_grad_(False)
    z = z0.clone().requires_grad_(True)
    for _ in range(iterations):
        (grad,) = torch.autograd.grad(anomaly_score(G, D, x, z, lam).score.sum(), z)
        z = (z - lr * grad).detach().requires_grad_(True)
    return z.detach()
    # END SOLUTION


_ = homework_anogan.check_sgd_search(sgd_search)

# %%
# HIDDEN CHECKS q4 points=3 function=sgd_search
import torch
import lecture_utils.checks as hc
from lecture_utils.hidden import build_net
from lecture_utils.anogan.score import anomaly_score

NET = "lecture_utils.anogan.homework:tiny_net"


def cases():
    out = []
    for seed, n, lr, iterations, lam in ((0, 2, 0.01, 3, 0.1), (3, 3, 0.005, 5, 0.0), (4, 1, 0.02, 2, 1.0),
                                         (5, 2, 0.01, 0, 0.1)):
        g = torch.Generator().manual_seed(seed)
        x, z0 = torch.rand(n, 1, 64, 64, generator=g) * 2 - 1, torch.randn(n, 4, generator=g)
        out.append({"args": [{"net": NET, "args": ["G", seed], "train": True},
                             {"net": NET, "args": ["D", seed], "train": True}, x, z0, lr, iterations, lam]})
    return out


def judge(records, cases):
    for record, case in zip(records, cases):
        _, _, x, z0, lr, iterations, lam = case["args"]
        G, D = (build_net({**a, "train": False, "frozen": True}) for a in case["args"][:2])
        z, ascent = (z0.clone().requires_grad_(True) for _ in range(2))
        for _ in range(iterations):
            (grad,) = torch.autograd.grad(anomaly_score(G, D, x, z, lam).score.sum(), z)
            z = (z - lr * grad).detach().requires_grad_(True)
            (up,) = torch.autograd.grad(anomaly_score(G, D, x, ascent, lam).score.sum(), ascent)
            ascent = (ascent + lr * up).detach().requires_grad_(True)
        got = hc.tensor_of(hc.returned(record, "sgd_search"), z0.shape, "sgd_search")
        hc.expect(torch.equal(record["after"][3], z0), {"en": "sgd_search changed z0 in place", "ja": "sgd_search が z0 を書き換えました"})
        hc.expect(record["training"][:2] == [False, False], {"en": "put G and D in eval mode", "ja": "G と D を eval モードにしましょう"})
        hc.expect(record["net_grads"][:2] == [False, False], {"en": "freeze G and D", "ja": "G と D を固定しましょう"})
        hc.close(got, z.detach(), "the z found by sgd_search", rtol=1e-3, atol=1e-5,
                 mistakes=[(ascent.detach(), {"en": "z moves up the gradient: descent is z - lr * gradient",
                                              "ja": "z が勾配の向きに動いています: 降下は z - lr * 勾配 です"})])
    return hc.say({"en": "plain gradient descent on z.", "ja": "z の単純な勾配降下です。"})

# %% [markdown] lang="en"
# **Your answer:** (double-click this cell and write here)
# %% [markdown] lang="ja"
# **解答**：（このセルをダブルクリックして、ここに書いてください）
# %% [markdown] lang="en"
# <!-- SOLUTION -->
# **Model answer.** Compare the A(x) values your cell printed for the same number of steps; the explanation is what counts. Plain gradient descent moves z by lr times the gradient, so its step depends on the gradient's scale: tiny where the gradient is small, too large where it is steep, the same lr for every coordinate. Adam divides each coordinate's gradient by a running estimate of its size, so every coordinate of z moves by about lr per step whatever the scale. Which one lowers A(x) more in a few steps depends on lr and on the gradient's scale; Adam is the one that needs no tuning of lr to that scale.
# %% [markdown] lang="ja"
# <!-- SOLUTION -->
# **解答例**：同じステップ数でセルが表示した A(x) を比べましょう。大事なのは説明です。単純な勾配降下は z を lr と勾配の積だけ動かすので、歩幅は勾配の大きさ次第です。勾配が小さいところではわずかしか動かず、急なところでは動きすぎ、すべての座標に同じ lr を使います。Adam は各座標の勾配をその大きさの移動平均で割るので、スケールによらず z の各座標が1ステップあたりおよそ lr ずつ動きます。少ないステップで A(x) をより下げるのがどちらかは、lr と勾配のスケールによります。Adam は lr をそのスケールに合わせる必要がない方です。

# %% [markdown] lang="en"
# **Experiment (about 10 minutes, not graded): AUROC against λ.** *Goal: see what each term of A(x)
# contributes.* The score weighs the residual and the discrimination term with λ. `search` keeps
# both terms of every test image at the z found (`search.residual`, `search.discrimination`), so
# the AUROC of (1 − λ)·residual + λ·discrimination for other λ costs no new search. A caveat: z was
# searched with λ = 0.1 (`SEARCH.lam`), and the search itself depends on λ (another λ would end at
# other z), so this curve re-weights the two terms at fixed z; it is not what a search run with each
# λ would give. Run the cell: what does the curve show? Which term separates the 2s better on its
# own (λ = 0: the residual alone; λ = 1: the discrimination alone), and does a mix beat both ends?
# %% [markdown] lang="ja"
# **実験（約10分、採点なし）：λ による AUROC の変化**　目標：A(x) の各項が何を担っているかを見ること。スコアは残差損失と識別損失を λ で重み付けします。`search` は見つけた z での各テスト画像の2つの項（`search.residual`、`search.discrimination`）を持っているので、ほかの λ での (1 − λ)·残差 + λ·識別の AUROC は、探索をやり直さずに求まります。注意があります。z は λ = 0.1（`SEARCH.lam`）で探索したもので、探索そのものが λ に依存します（別の λ なら別の z で終わります）。この曲線は z を固定したまま2つの項の重みを変えたもので、λ ごとに探索し直した結果ではありません。セルを実行しましょう。曲線は何を示しているでしょうか。単独で 2 をよりよく分けるのはどちらの項でしょうか（λ = 0 は残差だけ、λ = 1 は識別だけ）。混ぜると両端より良くなるでしょうか。

# %%
from lecture_utils.anogan.score import auroc_by_lambda

LAMBDAS = [0.0, 0.05, 0.1, 0.2, 0.5, 1.0]
by_lambda = auroc_by_lambda(y_test, search.residual, search.discrimination, LAMBDAS)
tell("by_lambda", lam=SEARCH.lam, values=" | ".join(f"lambda {lam:g}: {a:.3f}" for lam, a in zip(LAMBDAS, by_lambda)))
plots.plot_auroc_by_lambda(LAMBDAS, by_lambda, SEARCH.lam,
                           f"AUROC against lambda (z searched with lambda = {SEARCH.lam})");

# %% [markdown] lang="en"
# **Your answer:** (double-click this cell and write here)
# %% [markdown] lang="ja"
# **解答**：（このセルをダブルクリックして、ここに書いてください）
# %% [markdown] lang="en"
# <!-- SOLUTION -->
# **Model answer.** Read the printed values: the ends of the curve are section 5's "residual only" (λ = 0) and "discrimination only" (λ = 1) AUROCs, and the points between show how the sum moves from one ranking to the other. The two terms have very different scales (a sum over 4,096 pixels against a sum over 8,192 features of D), so λ = 0.5 does not weigh them equally: the curve can stay near one end's value for a wide range of λ and change only where the weighted terms become comparable. If the AUROC at the lecture's λ = 0.1 is close to the residual's, the residual dominates the score there; if some λ between the ends is above both, the terms carry different information about the 2s. Whatever the shape, it describes these z only: a search with λ = 1 would look for a z that matches D's features rather than the pixels, so its terms, and its AUROC, would differ. To compare λ honestly, run the search again with `SearchConfig(lam=...)` for each λ and compare those AUROCs.
# %% [markdown] lang="ja"
# <!-- SOLUTION -->
# **解答例**：表示された値を読みましょう。曲線の両端は 5節の「残差だけ」（λ = 0）と「識別だけ」（λ = 1）の AUROC で、その間の点は、和の順位が一方の項の順位からもう一方へどう移るかを示します。2つの項はスケールが大きく違う（4,096画素の和と、D の 8,192個の特徴の和）ので、λ = 0.5 でも両者を同じ重さで扱うわけではありません。曲線は広い範囲の λ で一方の端の値の近くに留まり、重みを掛けた2つの項が同じくらいの大きさになるところでだけ変わることがあります。講義の λ = 0.1 での AUROC が残差の値に近ければ、そこでは残差がスコアを支配しています。両端の間のある λ で両端より高くなるなら、2つの項は 2 について別々の情報を持っています。どんな形でも、それはこの z についてだけの話です。λ = 1 の探索なら画素ではなく D の特徴が合う z を探すので、項の値も AUROC も変わります。λ を公平に比べるには、λ ごとに `SearchConfig(lam=...)` で探索し直して AUROC を比べましょう。

# %% [markdown] lang="en"
# **Stretch task (optional, not graded).** Train a second encoder with your `ziz_loss` of exercise 3
# instead of `izi_f`: pass `loss=lambda E, G, D, x, kappa: ziz_loss(E, G, torch.randn(len(x), G.z_dim, device=x.device))`
# to `gan_train.train_encoder_cached` with a cache path of its own (e.g. `cache_file("anogan/encoder-ziz", ...)`),
# score the test set with `encoder_scores` and compare its AUROC with the izi_f encoder's printed in
# section 6, on the same data. Measure the AUROC and look at a few reconstructions G(E(x)) of normal
# test digits (`plots.plot_reconstructions`): does the ziz encoder reproduce real digits as well? Or
# change the digits in `DIGITS` (e.g. normal 1 and 4, anomaly 9) and compare the search's and the
# encoder's AUROCs with the reference on real MNIST (`docs/results.md`: encoder 0.948).
# %% [markdown] lang="ja"
# **発展課題（任意、採点なし）**　課題3の `ziz_loss` を `izi_f` の代わりに使って、2つ目のエンコーダを学習しましょう。`gan_train.train_encoder_cached` に `loss=lambda E, G, D, x, kappa: ziz_loss(E, G, torch.randn(len(x), G.z_dim, device=x.device))` と専用のキャッシュのパス（例：`cache_file("anogan/encoder-ziz", ...)`）を渡し、`encoder_scores` でテストセットのスコアを求めて、同じデータで 6節に表示された izi_f のエンコーダの AUROC と比べます。AUROC を測り、正常なテスト画像の再構成 G(E(x)) を数枚見てください（`plots.plot_reconstructions`）。ziz のエンコーダは、本物の数字を同じくらい再現できるでしょうか。あるいは `DIGITS` の数字を変え（例：正常 1 と 4、異常 9）、探索とエンコーダの AUROC を MNIST（通常の設定）での参考値（`docs/results.md`。エンコーダ 0.948）と比べましょう。

# %% [markdown] lang="en"
# ## 10. Summary, limitations and next steps
#
# **What we learned.** A GAN trained on normal data only can be turned into an anomaly detector by
# searching the $z$ whose $G(z)$ is closest to the test image; the score mixes a pixel residual and
# a discriminator-feature term. Training the GAN is the fragile part: watch the loss curves and a
# grid of $G(z)$ for fixed $z$. An encoder (f-AnoGAN) replaces the search by one pass.
#
# **Limitations.** On real MNIST in the full settings (7 and 8 normal, 2 anomalous; `docs/results.md`,
# commands in `benchmarks/RESULTS_anogan.md`): the 50-step search reaches AUROC 0.878, the encoder
# 0.967; this run's figures, on its own data and settings, are printed at the end of section 6.
# Digits are small, centred and grey: real inspection images are larger and textured, and GANs are
# harder to train on them. Other digit pairs give other figures (on real MNIST, the encoder for 9
# against 1 and 4: 0.948).
#
# **Next steps.** Methods built on features of a network pre-trained on ImageNet, such as PaDiM
# (Defard et al., 2021) and PatchCore (Roth et al., 2022), need no generative model at all and are
# today's baselines on MVTec AD. For localisation, the PRO score (Bergmann et al., 2021) weighs every
# defect region equally, unlike the pixel AUROC where large defects dominate. And a factory needs a
# *threshold*, not an AUROC: choose it on held-out normal images (e.g. the score exceeded by 1 % of
# them) and check the miss rate on the few defects you have, as exercise 2 did.
#
# ## References
#
# - [1] T. Schlegl, P. Seeböck, S. M. Waldstein, U. Schmidt-Erfurth, G. Langs, "Unsupervised anomaly detection with generative adversarial networks to guide marker discovery", IPMI 2017.
# - [2] T. Schlegl, P. Seeböck, S. M. Waldstein, G. Langs, U. Schmidt-Erfurth, "f-AnoGAN: fast unsupervised anomaly detection with generative adversarial networks", Medical Image Analysis 54, 2019.
# - [3] A. Radford, L. Metz, S. Chintala, "Unsupervised representation learning with deep convolutional generative adversarial networks" (DCGAN), ICLR 2016.
# - [4] I. Goodfellow et al., "Generative adversarial nets", NeurIPS 2014.
# - [5] 小川雄太郎『つくりながら学ぶ! PyTorchによる発展ディープラーニング』マイナビ出版, 2019, 第6章.
# - [6] T. Defard, A. Setkaliyev, A.-M. Loesch, R. Audigier, "PaDiM: a patch distribution modeling framework for anomaly detection and localization", ICPR Workshops 2021.
# - [7] K. Roth, L. Pemula, J. Zepeda, B. Schölkopf, T. Brox, P. Gehler, "Towards total recall in industrial anomaly detection" (PatchCore), CVPR 2022.
# - [8] P. Bergmann, K. Batzner, M. Fauser, D. Sattlegger, C. Steger, "The MVTec anomaly detection dataset: a comprehensive real-world dataset for unsupervised anomaly detection", IJCV 2021 (PRO).

# %% [markdown] lang="ja"
# ## 10. まとめ、限界、次に学ぶこと
#
# **学んだこと**　正常データだけで学習した GAN は、テスト画像に最も近い $G(z)$ を与える $z$ を探すことで異常検知器になります。スコアは画素の残差と識別器の特徴の差を組み合わせたものです。難しいのは GAN の学習で、損失曲線と固定した $z$ の $G(z)$ の格子を見て確かめます。エンコーダ（f-AnoGAN）を使えば探索は1回の順伝播で済みます。
#
# **限界**　通常の設定での MNIST（正常 7 と 8、異常 2。`docs/results.md`、コマンドは `benchmarks/RESULTS_anogan.md`）では、50ステップの探索で AUROC 0.878、エンコーダで 0.967 です。この実行のデータと設定での値は、6節の最後に表示しました。ここでの数字は小さく中央にある灰色の画像ですが、実際の検査画像はもっと大きく模様があり、GAN の学習も難しくなります。ほかの数字の組では値が変わります（MNIST で 1 と 4 を正常、9 を異常としたエンコーダの AUROC は 0.948）。
#
# **次に学ぶこと**　ImageNet で事前学習したネットワークの特徴を使う PaDiM（Defard ら、2021）や PatchCore（Roth ら、2022）は生成モデルをまったく必要とせず、MVTec AD での現在の基準手法です。異常箇所の評価では、PRO スコア（Bergmann ら、2021）が欠陥領域を1つずつ同じ重みで扱います（画素 AUROC では大きな欠陥が支配的です）。そして工場で必要なのは AUROC ではなく**しきい値**です。取り分けておいた正常画像で決め（例えばその 1 % が超えるスコア）、手元にある少数の欠陥で見逃し率を確かめます。課題2で行ったとおりです。
#
# ## 参考文献
#
# - [1] T. Schlegl, P. Seeböck, S. M. Waldstein, U. Schmidt-Erfurth, G. Langs, "Unsupervised anomaly detection with generative adversarial networks to guide marker discovery", IPMI 2017.
# - [2] T. Schlegl, P. Seeböck, S. M. Waldstein, G. Langs, U. Schmidt-Erfurth, "f-AnoGAN: fast unsupervised anomaly detection with generative adversarial networks", Medical Image Analysis 54, 2019.
# - [3] A. Radford, L. Metz, S. Chintala, "Unsupervised representation learning with deep convolutional generative adversarial networks" (DCGAN), ICLR 2016.
# - [4] I. Goodfellow ら、"Generative adversarial nets", NeurIPS 2014.
# - [5] 小川雄太郎『つくりながら学ぶ! PyTorchによる発展ディープラーニング』マイナビ出版、2019年、第6章。
# - [6] T. Defard, A. Setkaliyev, A.-M. Loesch, R. Audigier, "PaDiM: a patch distribution modeling framework for anomaly detection and localization", ICPR Workshops 2021.
# - [7] K. Roth, L. Pemula, J. Zepeda, B. Schölkopf, T. Brox, P. Gehler, "Towards total recall in industrial anomaly detection" (PatchCore), CVPR 2022.
# - [8] P. Bergmann, K. Batzner, M. Fauser, D. Sattlegger, C. Steger, "The MVTec anomaly detection dataset: a comprehensive real-world dataset for unsupervised anomaly detection", IJCV 2021 (PRO).
