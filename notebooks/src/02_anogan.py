# %% [markdown en]
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
# search, a search batched over the whole test set, an AUROC over 200 real test images, and a
# fast encoder that replaces the search.

# %% [markdown ja]
# # 02 · AnoGAN: GAN による異常検知
#
# **GAN**（敵対的生成ネットワーク）は、学習画像に似た画像を *生成* することを学習します。
# 正常画像だけで学習すれば、GAN が描けるのは正常画像だけです。AnoGAN（Schlegl ら、2017）はこれを
# 異常検知に使います。
#
# 1. 正常な数字（7 と 8）だけで DCGAN（生成器 G と識別器 D）を学習する。
# 2. テスト画像 x に対して、G(z) が x に最も似るような潜在変数 z を **探索** する。
# 3. 最も良い G(z) でも x と違うなら、x は G が学習しなかったもの、つまり **異常**（2）である。
#
# 学習画像と直接比べるのではなく GAN を使う理由は、G が「正常画像全体」を 20 個の数 z で滑らかに
# 表現し、見たことのない 7 や 8 も描けること、そして D が「x と G(z) の *特徴* が同じか」という
# もう一つの観点を与えることです。
#
# この講義は『つくりながら学ぶ! PyTorchによる発展ディープラーニング』第6章に沿い、足りない部分を
# 補います。`BCEWithLogitsLoss` のための float のラベル、探索中は G と D を eval モードで固定、
# テストセット全体をまとめて探索するバッチ処理、200 枚の実テスト画像での AUROC、そして探索を
# 置き換える高速なエンコーダです。

# %%
import torch

from lecture_utils.anogan import dcgan, homework as homework_anogan
from lecture_utils.anogan import plots as P
from lecture_utils.anogan import train as gt
from lecture_utils.anogan.score import encode, encoder_scores, to_unit
from lecture_utils.anogan.search import SearchConfig, initial_z, latent_search, search_trajectory
from lecture_utils.data import digits
from lecture_utils.checkpoint import cache_file
from lecture_utils.config import is_reduced, pick, pick_device, seed_everything
from lecture_utils.metrics import auroc
from lecture_utils.viz import roc_curves

seed_everything(0)
device = pick_device()
print("device:", device, "| reduced settings:", is_reduced())

# %% [markdown en]
# **From lecture 1.** There a VAE learned good capsules, and a test image was *moved* (the iterative
# projection) toward an image the VAE explains; the pixels that moved were the defect. AnoGAN keeps
# the idea "compare x with the closest normal image the model can make" but changes where the search
# happens: not in the image, but in the generator's latent space z. Section 9 compares the two
# methods side by side. The ROC curve and the AUROC were introduced in lecture 1, section 7.

# %% [markdown ja]
# **第1回からのつながり。** 第1回では VAE が正常なカプセルを学習し、テスト画像を VAE が説明できる画像へ
# *動かし*ました（反復射影）。動いた画素が欠陥でした。AnoGAN も「x を、モデルが作れる最も近い正常画像と
# 比べる」という考えは同じですが、探す場所が違います。画像の中ではなく、生成器の潜在変数 z の空間で
# 探します。9節で2つの方法を並べて比べます。ROC 曲線と AUROC は第1回の7節で説明しました。

# %% [markdown en]
# ## 1. Data: normal 7s and 8s, anomalous 2s
#
# Training uses normal digits only; the test set mixes normal digits from MNIST's *test* split
# (never seen in training) with 2s. Without MNIST on disk, scikit-learn's bundled digits stand
# in. We train on more images than the book's 400: the GAN sees the same number of images per
# minute either way, but more variety keeps it from memorising (see section 3). Images are scaled
# to [-1, 1], the range of G's `tanh` output. Check the source and the counts.

# %% [markdown ja]
# ## 1. データ: 正常な 7 と 8、異常な 2
#
# 学習には正常な数字だけを使います。テストセットは MNIST の *テスト* 分割（学習では見ていない）の
# 正常な数字と 2 を混ぜたものです。MNIST が手元にない場合は scikit-learn 付属の数字で代用します。
# 書籍の 400 枚より多くの画像で学習します。1 分あたりに GAN が見る画像の枚数は同じですが、
# 多様な画像の方が暗記を防げます（3 節）。画像は G の出力 `tanh` の範囲 [-1, 1] に変換します。
# データの出所と枚数を確認しましょう。

# %%
DATA = dict(normal=(7, 8), anomaly=(2,), n_train=pick(4000, 400), n_test=pick(200, 100))
sets = digits.digit_sets(**DATA)
x_train = to_unit(sets.train.images)          # [N, 1, 64, 64] in [-1, 1]
x_test = to_unit(sets.test.images)
y_test = sets.test.labels                             # 1 = anomaly (a 2)
print(f"source: {sets.source} | train {tuple(x_train.shape)} | test {len(x_test)} "
      f"({int(y_test.sum())} anomalies)")

# %%
P.show_images(x_train, "training images (normal only)");
P.show_images(x_test[y_test == 1], "test anomalies");

# %% [markdown en]
# ## 2. DCGAN: the generator G and the discriminator D
#
# The book's networks, with its layer names (`layer1` ... `layer4`, `last`) so its trained
# weights load. G turns z (20 numbers) into a 64x64 image by four transposed convolutions
# (4 -> 8 -> 16 -> 32 -> 64 pixels); D does the reverse and returns two things: the *logit*
# (real or fake?) and the *feature* f_D(x), its last 512x4x4 map before the logit. The feature is
# what AnoGAN's discrimination term compares. Look at the shapes.

# %% [markdown ja]
# ## 2. DCGAN: 生成器 G と識別器 D
#
# 書籍のネットワークを、そのレイヤー名（`layer1` ... `layer4`, `last`）のまま使います。書籍の学習済み
# 重みもそのまま読み込めます。G は z（20 個の数）を 4 つの転置畳み込みで 64x64 の画像にします
# （4 -> 8 -> 16 -> 32 -> 64 画素）。D はその逆で、2 つの値を返します。*ロジット*（本物か偽物か）と、
# ロジットの直前の 512x4x4 のマップである *特徴* f_D(x) です。AnoGAN の識別損失はこの特徴を比べます。
# 形状を確認しましょう。

# %%
G, D = dcgan.build(z_dim=20, image_size=64, seed=0)
z = torch.randn(4, 20)
fake = G(z)
logit, feature = D(fake)
print("z", tuple(z.shape), "-> G(z)", tuple(fake.shape), "-> D: logit", tuple(logit.shape),
      "feature", tuple(feature.shape))

# %% [markdown en]
# ## 3. Training, and how to see it fail
#
# D learns to tell real from generated images, G learns to fool D:
#
# $$L_D = \mathrm{BCE}(D(x), 1) + \mathrm{BCE}(D(G(z)), 0), \qquad L_G = \mathrm{BCE}(D(G(z)), 1).$$
#
# The book trains on 400 images (200 sevens and 200 eights) for many epochs with D's learning rate
# four times G's (4e-4 vs 1e-4). GAN training is a balance, and here it tips easily: D wins, **L_D falls towards 0**
# (it is never fooled), G's gradient vanishes and **L_G climbs**; G then draws the same few blurry
# shapes for every z (**mode collapse**), and AnoGAN can no longer reproduce normal digits either
# (README: AUROC 0.62 for the book's recipe as this course first ran it, 60 epochs on 400 images).
# Two plots show it while training runs:
#
# - the **loss curves**: a healthy run keeps L_D near 2 ln 2 ≈ 1.4 (D guessing) to ~0.5;
# - the **sample grid**: G(z) for the *same* eight z after each epoch; rows of identical or
#   noisy images mean collapse.
#
# What helps: **more training images** (4,000 MNIST 7s and 8s instead of 400, for the same
# number of steps, so D cannot memorise them), **more, smaller updates** (batch 16 instead of 64),
# a D that learns no faster than G (both 2e-4, with DCGAN's Adam betas 0.5 and 0.999), one-sided
# **label smoothing** (real label 0.9) and a little **instance noise** on D's inputs (annealed to
# zero). With the same 16,000 image-steps on 4,000 MNIST images, the book's settings gave an encoder
# AUROC of 0.836 and these 0.941 (`benchmarks/RESULTS_anogan.md`, section "Training recipes":
# exploratory runs on real MNIST whose throw-away script was not kept; this notebook does not
# recompute them). Below we first run the book's recipe briefly on at most 400 of our training
# images (the plot's title gives the number: the bundled digits have fewer), then ours. Trained weights are cached
# in the data folder, so a re-run (or the other language's notebook) loads them.

# %% [markdown ja]
# ## 3. 学習と、その失敗の見分け方
#
# D は本物と生成画像を見分けるように、G は D をだますように学習します。
#
# $$L_D = \mathrm{BCE}(D(x), 1) + \mathrm{BCE}(D(G(z)), 0), \qquad L_G = \mathrm{BCE}(D(G(z)), 1).$$
#
# 書籍は 7 と 8 を 200 枚ずつ、D の学習率を G の 4 倍（4e-4 と 1e-4）にして何エポックも学習します。
# GAN の学習は綱引きで、ここでは簡単に崩れます。D が勝ち、**L_D が 0 に近づき**（もうだまされない）、
# G の勾配が消えて **L_G が上がり続けます**。すると G はどの z に対しても同じぼやけた形しか描かなくなり
# （**モード崩壊**）、AnoGAN は正常な数字すら再現できなくなります（README: この講義で最初に書籍のレシピを
# 400 枚・60 エポックで学習したときの AUROC は 0.62）。
# 学習中に次の 2 つの図で確認できます。
#
# - **損失曲線**: 健全な学習では L_D は 2 ln 2 ≈ 1.4（D が当てずっぽう）から 0.5 程度に留まります。
# - **サンプルの格子**: エポックごとに *同じ* 8 個の z から描いた G(z)。同じ画像やノイズばかりの行は崩壊のサインです。
#
# 効くのは、同じステップ数でも **学習画像を増やす**（400 枚ではなく 4,000 枚の MNIST の 7 と 8。D が暗記できない）、
# **小さな更新を数多く行う**（バッチ 64 ではなく 16）、D の学習を G より速くしない（どちらも 2e-4、Adam の
# betas は DCGAN の 0.5 と 0.999）、片側 **ラベル平滑化**（本物のラベルを 0.9 に）、D の入力に少しの
# **インスタンスノイズ**を加える（徐々に 0 へ）ことです。MNIST の 4,000 枚で同じ 16,000 画像ステップ学習すると、
# エンコーダの AUROC は書籍の設定で 0.836、これらの変更で 0.941 でした（`benchmarks/RESULTS_anogan.md` の
# "Training recipes" 節。実物の MNIST での探索的な実験で、使い捨てのスクリプトは残っていません。この
# ノートブックでは再計算しません）。以下では、まず書籍のレシピを学習画像のうち最大 400 枚で短く学習し
# （枚数は図のタイトルにあります。同梱の数字はもっと少ない）、次に私たちのレシピで学習します。学習済みの重みは
# データフォルダにキャッシュされるので、再実行時（やもう一方の言語のノートブック）は読み込むだけです。

# %%
BOOK = gt.GANConfig(epochs=pick(10, 2), batch_size=64, g_lr=1e-4, d_lr=4e-4, betas=(0.0, 0.9),
                    real_label=1.0, instance_noise=0.0)
book_G, book_D = dcgan.build(seed=0)
book_path = cache_file("anogan/book-gan", data=DATA | {"n_train": 400}, source=sets.source, cfg=BOOK)
book_x = x_train[::max(1, len(x_train) // 400)]
book_history = gt.train_gan(book_G, book_D, book_x, BOOK, checkpoint=book_path, device=device)
P.plot_losses(book_history, f"The book's recipe on {len(book_x)} images");

# %%
P.plot_sample_grids(book_history, title="Book's recipe: G(z) for fixed z, epoch by epoch");

# %% [markdown en]
# What does the grid show? After these few epochs the book's G usually draws no digits yet: grey
# textures with a checkerboard pattern (the trace of the transposed convolutions) mean G is
# *undertrained*, not collapsed. Mode collapse looks different: sharp but identical images in every
# column of a row, after D has won. Look at the last row of the grid and at the two loss curves to
# tell which case you see.

# %% [markdown ja]
# 格子は何を示しているでしょうか。この少ないエポック数では、書籍の G はたいていまだ数字を描けません。
# 市松模様のある灰色の模様（転置畳み込みの跡）は、G が崩壊したのではなく*学習不足*であることを示します。
# モード崩壊は見た目が違います: D が勝った後、ある行のどの列にもくっきりとした同じ画像が並びます。
# 格子の最後の行と2本の損失曲線を見て、どちらの場合かを見分けましょう。

# %% [markdown en]
# Now our recipe (the defaults of `GANConfig`) on all training images, for as many epochs as it
# takes to show G about 32,000 images (8 epochs of 4,000 MNIST digits, many more of the 253
# bundled ones). The progress bar shows both losses; compare the curves and the grid with the book's.

# %% [markdown ja]
# 次に私たちのレシピ（`GANConfig` の既定値）ですべての学習画像を使い、G が約 32,000 枚の画像を見るまで
# 学習します（MNIST の 4,000 枚なら 8 エポック、同梱の 253 枚ならもっと多くのエポック）。進捗バーに両方の損失が
# 表示されます。曲線と格子を書籍のものと比べましょう。

# %%
GAN = gt.GANConfig.for_images(len(x_train))
print(GAN)
gan_path = cache_file("anogan/gan", data=DATA, source=sets.source, cfg=GAN)
history = gt.train_gan(G, D, x_train, GAN, checkpoint=gan_path, device=device)
print(f"training took {history['seconds']:.0f} s (cached in {gan_path.name})")

# %%
P.plot_losses(history, "Our recipe: batch 16, equal learning rates, label smoothing, noise");

# %%
P.plot_sample_grids(history, title="Our recipe: G(z) for fixed z, epoch by epoch");

# %% [markdown en]
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
# every number of z, one batched search over all 200 images gives exactly the per-image results,
# far faster. Watch the two curves: both fall, the anomalies' stays higher.

# %% [markdown ja]
# ## 4. 潜在変数の探索
#
# 各テスト画像 x について、G が x に最も近い画像に写す z を、Adam で次の損失を最小化して探します。
#
# $$L(z) = (1-\lambda)\sum |x - G(z)| + \lambda \sum |f_D(x) - f_D(G(z))|, \qquad \lambda = 0.1.$$
#
# 第 1 項（**残差損失**）は画素を、第 2 項（**識別損失**）は D の特徴を比べます。異常スコア（異常度）は見つけた
# 最良の z での値 $A(x) = L(z^*)$ です。G と D は eval モードで固定します。書籍では G の BatchNorm が
# 学習モードのままで、画像のスコアが同じバッチの他の画像に左右されていました。L は画像ごとの項の和で、
# Adam は z の要素ごとに別々のモーメントを持つので、200 枚をまとめて 1 回探索しても 1 枚ずつの探索と
# 同じ結果が、はるかに速く得られます。2 本の曲線を見ましょう。どちらも下がりますが、異常の方が高いままです。

# %%
SEARCH = SearchConfig()
print(SEARCH)
search = latent_search(G, D, x_test, SEARCH)
print(f"searched {len(x_test)} images x {SEARCH.iterations} steps in {search.seconds:.1f} s "
      f"({len(x_test) / search.seconds:.1f} images/s)")

# %%
P.plot_search_history(search.history, y_test);

# %% [markdown en]
# Normal digits (left) are reproduced well; for a 2 (right), G can only draw the nearest 7 or 8,
# and the residual map |x - G(z)| lights up where they differ.

# %% [markdown ja]
# 正常な数字（左）はよく再現されます。2（右）に対して G は最も近い 7 か 8 しか描けず、残差マップ
# |x - G(z)| は両者が異なる場所で明るくなります。

# %%
normal_idx = torch.nonzero(y_test == 0).flatten()[:4].tolist()
anomaly_idx = torch.nonzero(y_test == 1).flatten()[:4].tolist()
P.plot_reconstructions(x_test, search, normal_idx + anomaly_idx, "4 normal and 4 anomalous test images");

# %% [markdown en]
# ## 5. Evaluation: how well do the scores separate 2s from 7s and 8s?
#
# The **AUROC** is the probability that a random anomaly gets a higher score than a random normal
# image (1 = perfect, 0.5 = chance). The histogram shows the overlap behind it; the ROC curve shows
# every trade-off between false alarms and missed anomalies. We also score each term alone.

# %% [markdown ja]
# ## 5. 評価: スコアは 2 と 7・8 をどれだけ分けられるか
#
# **AUROC** は、ランダムに選んだ異常画像のスコアがランダムに選んだ正常画像のスコアより高い確率です
# （1 = 完全、0.5 = 偶然）。ヒストグラムはその背後の重なりを、ROC 曲線は誤検出と見逃しのすべての
# トレードオフを示します。各項だけのスコアも評価します。

# %%
print(f"AUROC  A(x): {auroc(y_test, search.scores):.3f} | residual only: "
      f"{auroc(y_test, search.residual):.3f} | discrimination only: {auroc(y_test, search.discrimination):.3f}")
P.plot_score_histogram(y_test, search.scores, "AnoGAN scores after the latent search");

# %% [markdown en]
# The lowest-scored images (most normal-looking) and the highest-scored ones, with their residual
# maps. Are there normal digits among the highest? What do they look like?

# %% [markdown ja]
# スコアが最も低い画像（最も正常に見える）と最も高い画像を、残差マップとともに示します。
# スコアが高い方に正常な数字は混じっていますか？それはどんな数字でしょうか？

# %%
P.plot_best_worst(x_test, y_test, search, k=4);

# %% [markdown en]
# ## 6. A fast variant: an encoder instead of the search
#
# The search costs many forward and backward passes per image. f-AnoGAN (Schlegl et al., 2019)
# trains an **encoder** E: x -> z once, after G, with G and D frozen ("izi_f"):
#
# $$L_E = \overline{(x - G(E(x)))^2} + \kappa\, \overline{(f_D(x) - f_D(G(E(x))))^2}.$$
#
# (Adam with a learning rate that decays along a cosine to 0: with a constant rate E ends wherever
# its last noisy steps put it, and the validation AUROC was 0.937 instead of 0.950.)
# Scoring is then one pass, with the same two terms for this one image (f-AnoGAN's score):
#
# $$A_E(x) = \overline{(x - G(E(x)))^2} + \kappa\, \overline{(f_D(x) - f_D(G(E(x))))^2}, \qquad \kappa = 1.$$
#
# E was trained to make exactly this small on normal images, so it is the natural score; squares
# also weigh a missing stroke (large errors) more than many small misalignments along the edges of a
# normal digit. (In `benchmarks/RESULTS_anogan.md`, scoring E(x) with the search's L1 loss instead
# gave 0.943 against 0.959 on the test set, and 0.928 against 0.947 on a validation set drawn from
# MNIST's *training* split.)
# We also try E(x) as the *starting point* of a short search with the loss L. Compare the AUROCs
# and the times.

# %% [markdown ja]
# ## 6. 高速版: 探索の代わりにエンコーダ
#
# 探索は画像 1 枚ごとに何度も順伝播と逆伝播を繰り返します。f-AnoGAN（Schlegl ら、2019）は、G の学習後に
# G と D を固定して **エンコーダ** E: x -> z を 1 度だけ学習します（"izi_f"）。
#
# $$L_E = \overline{(x - G(E(x)))^2} + \kappa\, \overline{(f_D(x) - f_D(G(E(x))))^2}.$$
#
# （Adam の学習率はコサインに沿って 0 まで下げます。一定のままだと E は最後の揺れた更新の位置で終わり、
# 検証セットの AUROC は 0.950 ではなく 0.937 でした。）
# するとスコアは 1 回の順伝播で求まります。この画像 1 枚についての同じ 2 つの項です（f-AnoGAN のスコア）:
#
# $$A_E(x) = \overline{(x - G(E(x)))^2} + \kappa\, \overline{(f_D(x) - f_D(G(E(x))))^2}, \qquad \kappa = 1.$$
#
# E は正常画像でまさにこの値を小さくするように学習したので、これが自然なスコアです。2 乗は、正常な
# 数字の輪郭に沿った小さなずれの多さよりも、欠けた一画（大きな誤差）を重く見ます。
# （`benchmarks/RESULTS_anogan.md` では、E(x) を探索の L1 損失で採点すると、テストセットで 0.959 に対して
# 0.943、MNIST の *学習* 分割から作った検証セットで 0.947 に対して 0.928 でした。）E(x) を損失 L による
# 短い探索の *出発点* にする方法も試します。AUROC と時間を比べましょう。

# %%
ENC = gt.EncoderConfig.for_images(len(x_train))
E = dcgan.build_encoder(z_dim=20, image_size=64)
enc_path = cache_file("anogan/encoder", data=DATA, source=sets.source, cfg=GAN, enc=ENC)
enc_history = gt.train_encoder_cached(E, G, D, x_train, ENC, enc_path, device=device)
fast = encoder_scores(E, G, D, x_test)
print(f"encoder: AUROC {auroc(y_test, fast.scores):.3f} in {fast.seconds:.2f} s "
      f"({search.seconds / fast.seconds:.0f}x faster than the search)")

# %%
SHORT = SearchConfig(iterations=pick(30, 5), lr=0.01)
refined = latent_search(G, D, x_test, SHORT, z0=encode(E, x_test))
print(f"E(x) + {SHORT.iterations} search steps: AUROC {auroc(y_test, refined.scores):.3f} "
      f"in {refined.seconds + fast.seconds:.1f} s")

# %%
roc_curves(y_test, {"latent search": search.scores, "encoder (one pass)": fast.scores,
           "encoder + short search": refined.scores}, "AnoGAN: 2 vs 7 and 8");

# %% [markdown en]
# ## 7. Homework
#
# Each checker prints "Correct", "Not yet" (with a hint) or "Not answered yet".
#
# 1. **λ**: write `rescore(result, lam)` returning the scores for another λ from the two terms
#    (`result.residual`, `result.discrimination`). Compare the AUROC for λ = 0, 0.1 and 1.
# 2. **Another anomaly digit**: build a test set with another anomaly digit
#    (`digits.digit_sets(..., anomaly=(d,))`), score it with the encoder and give its AUROC.
# 3. **Fewer search steps**: the AUROC of `latent_search` after 0, 10 and 30 steps
#    (`SearchConfig(iterations=k, lr=SEARCH.lr)`). How many steps are really needed?

# %% [markdown ja]
# ## 7. 課題
#
# 各チェッカーは "Correct"、"Not yet"（ヒント付き）、"Not answered yet" のいずれかを表示します。
#
# 1. **λ**: 2 つの項（`result.residual`, `result.discrimination`）から別の λ のスコアを返す
#    `rescore(result, lam)` を書き、λ = 0, 0.1, 1 の AUROC を比べましょう。
# 2. **別の異常の数字**: 別の数字を異常とするテストセットを作り（`digits.digit_sets(..., anomaly=(d,))`）、
#    エンコーダでスコアを付けて AUROC を求めましょう。
# 3. **探索ステップを減らす**: `latent_search` の 0, 10, 30 ステップ後の AUROC を求めましょう
#    （`SearchConfig(iterations=k, lr=SEARCH.lr)`）。本当に必要なステップ数はいくつでしょうか？

# %%
rescore = None  # e.g. def rescore(result, lam): return ...
homework_anogan.check_rescore(rescore)

# %%
other_digit, other_auroc, other_test = None, None, None  # e.g. other_digit = 3
if other_test is not None:
    homework_anogan.check_anomaly_digit(other_digit, other_auroc, E, G, D, other_test[0], other_test[1])
else:
    homework_anogan.check_anomaly_digit(None, None, E, G, D, x_test, y_test)

# %%
steps, step_aurocs = None, None  # e.g. steps = [0, 10, 30]; step_aurocs = [...]
homework_anogan.check_search_steps(steps, step_aurocs, G, D, x_test, y_test, lr=SEARCH.lr)

# %% [markdown en]
# ## 8. Explorer: watch the search
#
# Pick a test image and a search step: G(z) moves from a random digit towards the closest 7 or 8.
# Without ipywidgets (or in a headless run) you see the last step of the first image. The path is
# the very search that was scored (same starting z); the score A(x) printed above is the lowest L
# along it, so it can be slightly below the L shown at the last step.

# %% [markdown ja]
# ## 8. エクスプローラ: 探索の様子を見る
#
# テスト画像と探索ステップを選ぶと、G(z) がランダムな数字から最も近い 7 か 8 へ動いていく様子が
# 見られます。ipywidgets がない環境（やヘッドレス実行）では、最初の画像の最終ステップを表示します。
# この経路は採点した探索そのもの（同じ出発点 z）です。上に表示したスコア A(x) は経路上で最も低い L なので、
# 最後のステップで表示される L より少し低いことがあります。

# %%
few = torch.tensor(normal_idx[:3] + anomaly_idx[:3])
z_start = initial_z(len(x_test), G.z_dim, SEARCH.seed)[few]  # the starts latent_search used for these images
path = search_trajectory(G, D, x_test[few], SEARCH, z0=z_start, every=max(1, SEARCH.iterations // 20))
print("A(x) of these images (lowest L along the search):", [round(v, 1) for v in search.scores[few].tolist()])
P.search_explorer(G, D, x_test[few], path);

# %% [markdown en]
# ## 9. Lecture 1 and lecture 2 side by side
#
# | | lecture 1: VAE + iterative projection | lecture 2: AnoGAN / f-AnoGAN |
# |---|---|---|
# | what is trained | one VAE (encoder + decoder), one loss, stable | G and D against each other (a balance that can tip), then an encoder |
# | where the search happens | in the image: $x_t$ moves, pixel by pixel | in the latent space: $z$ moves (or one pass of E) |
# | what it finds | *where* the defect is (a pixel map), and whether there is one | *whether* the image is anomalous (one score per image); the residual map is a by-product |
# | cost per test image | $T$ gradient steps through the VAE | 50 Adam steps through G and D, or one pass of E |
# | needs | good images only, aligned objects | good images only; here a small, centred digit |
#
# Both compare x with "the closest normal image the model can make", and both fail in the same way:
# whatever the model cannot reproduce on *normal* images (lecture 1: the print; here: unusual but
# normal handwriting) looks anomalous too.
#
# ## 10. Summary, limitations and next steps
#
# **What we learned.** A GAN trained on normal data only can be turned into an anomaly detector by
# searching the $z$ whose $G(z)$ is closest to the test image; the score mixes a pixel residual and
# a discriminator-feature term. Training the GAN is the fragile part: watch the loss curves and a
# grid of $G(z)$ for fixed $z$. An encoder (f-AnoGAN) replaces the search by one pass.
#
# **Limitations.** On real MNIST (7 and 8 normal, 2 anomalous; README, commands in
# `benchmarks/RESULTS_anogan.md`): the 50-step search reaches AUROC 0.878, the encoder 0.967.
# Digits are small, centred and grey: real inspection images are larger and textured, and GANs are
# harder to train on them. Other digit pairs give other figures (9 against 1 and 4: 0.948).
#
# **Next steps.** Methods built on features of a network pre-trained on ImageNet, such as PaDiM
# (Defard et al., 2021) and PatchCore (Roth et al., 2022), need no generative model at all and are
# today's baselines on MVTec AD. For localisation, the PRO score (Bergmann et al., 2021) weighs every
# defect region equally, unlike the pixel AUROC where large defects dominate. And a factory needs a
# *threshold*, not an AUROC: choose it on held-out normal images (e.g. the score exceeded by 1 % of
# them) and check the miss rate on the few defects you have.
#
# ## References
# [1] T. Schlegl, P. Seeböck, S. M. Waldstein, U. Schmidt-Erfurth, G. Langs, "Unsupervised anomaly
# detection with generative adversarial networks to guide marker discovery", IPMI 2017.
# [2] T. Schlegl, P. Seeböck, S. M. Waldstein, G. Langs, U. Schmidt-Erfurth, "f-AnoGAN: fast
# unsupervised anomaly detection with generative adversarial networks", Medical Image Analysis 54, 2019.
# [3] A. Radford, L. Metz, S. Chintala, "Unsupervised representation learning with deep convolutional
# generative adversarial networks" (DCGAN), ICLR 2016.
# [4] I. Goodfellow et al., "Generative adversarial nets", NeurIPS 2014.
# [5] 小川雄太郎『つくりながら学ぶ! PyTorchによる発展ディープラーニング』マイナビ出版, 2019, 第6章.
# [6] T. Defard, A. Setkaliyev, A.-M. Loesch, R. Audigier, "PaDiM: a patch distribution modeling
# framework for anomaly detection and localization", ICPR Workshops 2021.
# [7] K. Roth, L. Pemula, J. Zepeda, B. Schölkopf, T. Brox, P. Gehler, "Towards total recall in
# industrial anomaly detection" (PatchCore), CVPR 2022.
# [8] P. Bergmann, K. Batzner, M. Fauser, D. Sattlegger, C. Steger, "The MVTec anomaly detection
# dataset: a comprehensive real-world dataset for unsupervised anomaly detection", IJCV 2021 (PRO).

# %% [markdown ja]
# ## 9. 第1回と第2回の比較
#
# | | 第1回: VAE + 反復射影 | 第2回: AnoGAN / f-AnoGAN |
# |---|---|---|
# | 学習するもの | VAE 1つ（エンコーダ + デコーダ）、損失は1つで安定 | G と D を競わせる（崩れやすい綱引き）、その後エンコーダ |
# | 探索する場所 | 画像の中: $x_t$ を画素ごとに動かす | 潜在空間: $z$ を動かす（または E を1回通す） |
# | 分かること | 欠陥が*どこに*あるか（画素のマップ）と、あるかどうか | 画像が異常*かどうか*（画像ごとのスコア）。残差マップはその副産物 |
# | テスト画像1枚あたりの計算 | VAE を通る勾配ステップ $T$ 回 | G と D を通る Adam 50 ステップ、または E を1回 |
# | 必要なもの | 正常画像だけ。位置の揃った物体 | 正常画像だけ。ここでは小さく中央にある数字 |
#
# どちらも x を「モデルが作れる最も近い正常画像」と比べ、同じように失敗します。モデルが*正常*画像でも
# 再現できないもの（第1回: 印字、ここ: 珍しいが正常な筆跡）も異常に見えてしまうのです。
#
# ## 10. まとめ、限界、次に学ぶこと
#
# **学んだこと。** 正常データだけで学習した GAN は、テスト画像に最も近い $G(z)$ を与える $z$ を探すことで
# 異常検知器になります。スコアは画素の残差と識別器の特徴の差を組み合わせたものです。難しいのは GAN の
# 学習で、損失曲線と固定した $z$ の $G(z)$ の格子を見て確かめます。エンコーダ（f-AnoGAN）を使えば探索は
# 1回の順伝播で済みます。
#
# **限界。** 実物の MNIST（正常 7 と 8、異常 2。README、コマンドは `benchmarks/RESULTS_anogan.md`）では、
# 50 ステップの探索で AUROC 0.878、エンコーダで 0.967 です。数字は小さく中央にある灰色の画像ですが、
# 実際の検査画像はもっと大きく模様があり、GAN の学習も難しくなります。他の数字の組では値が変わります
# （1 と 4 に対する 9: 0.948）。
#
# **次に学ぶこと。** ImageNet で事前学習したネットワークの特徴を使う PaDiM（Defard ら、2021）や
# PatchCore（Roth ら、2022）は生成モデルをまったく必要とせず、MVTec AD での現在の基準手法です。
# 異常箇所の評価では、PRO スコア（Bergmann ら、2021）が欠陥領域を1つずつ同じ重みで扱います（画素
# AUROC では大きな欠陥が支配的です）。そして工場で必要なのは AUROC ではなく*しきい値*です。取り分けておいた
# 正常画像で決め（例えばその 1 % が超えるスコア）、手元にある少数の欠陥で見逃し率を確かめます。
#
# ## 参考文献
# [1] T. Schlegl, P. Seeböck, S. M. Waldstein, U. Schmidt-Erfurth, G. Langs, "Unsupervised anomaly
# detection with generative adversarial networks to guide marker discovery", IPMI 2017.
# [2] T. Schlegl, P. Seeböck, S. M. Waldstein, G. Langs, U. Schmidt-Erfurth, "f-AnoGAN: fast
# unsupervised anomaly detection with generative adversarial networks", Medical Image Analysis 54, 2019.
# [3] A. Radford, L. Metz, S. Chintala, "Unsupervised representation learning with deep convolutional
# generative adversarial networks" (DCGAN), ICLR 2016.
# [4] I. Goodfellow ら、"Generative adversarial nets", NeurIPS 2014.
# [5] 小川雄太郎『つくりながら学ぶ! PyTorchによる発展ディープラーニング』マイナビ出版、2019年、第6章。
# [6] T. Defard, A. Setkaliyev, A.-M. Loesch, R. Audigier, "PaDiM: a patch distribution modeling
# framework for anomaly detection and localization", ICPR Workshops 2021.
# [7] K. Roth, L. Pemula, J. Zepeda, B. Schölkopf, T. Brox, P. Gehler, "Towards total recall in
# industrial anomaly detection" (PatchCore), CVPR 2022.
# [8] P. Bergmann, K. Batzner, M. Fauser, D. Sattlegger, C. Steger, "The MVTec anomaly detection
# dataset: a comprehensive real-world dataset for unsupervised anomaly detection", IJCV 2021 (PRO).
