"""The message catalogue's result lines: what the notebooks print beside their figures, lecture 1's
tables and verdicts, lecture 2's verdicts, in English and Japanese (``messages`` merges them into
its one catalogue: ``say``/``tell``).

A Japanese line carries the same numbers in the same order as its English one, so whatever reads the
numbers of one line (``tests/verdicts.py``) can read the other's; method names (``kl``,
``residual``, ``search``), data set names and file names stay as the code spells them.
"""
from __future__ import annotations

# Lecture 0 (notebooks/src/00_datasets.py): what was loaded.
_DATASETS = {
    "data_chosen": {
        "en": "capsule data: {capsule} ({folder}) | digits: {digits}",
        "ja": "カプセルのデータ: {capsule}（{folder}） | 数字: {digits}",
    },
    "data_capsule": {
        "en": "capsule data: {capsule} ({folder})",
        "ja": "カプセルのデータ: {capsule}（{folder}）",
    },
    "data_masks": {
        "en": "  masks: {masks} | image size: {size}",
        "ja": "  マスク: {masks}枚 | 画像サイズ: {size}",
    },
    "test_labels": {
        "en": "{shape} labels: {defective} defective, {good} good",
        "ja": "{shape} ラベル: 欠陥 {defective}枚、正常 {good}枚",
    },
    "digit_sets": {
        "en": "source: {source} | train: {train} | test: {test} images, {anomalies} anomalies",
        "ja": "データ: {source} | 学習: {train} | テスト: {test}枚（うち異常 {anomalies}枚）",
    },
    "loaded_back": {
        "en": "loaded back: {shape} | anomalies: {anomalies} | has masks: {masks}",
        "ja": "読み戻した結果: {shape} | 異常: {anomalies}枚 | マスクの有無: {masks}",
    },
    "describe_synthetic": {
        "en": "capsule: synthetic, seed {seed} (offline)",
        "ja": "合成カプセル（シード {seed}、オフライン）",
    },
    "describe_lecture": {
        "en": "capsule: real, the lecture's archive",
        "ja": "実データのカプセル（講義用アーカイブ）",
    },
    "describe_mvtec": {
        "en": "capsule: real, the official MVTec AD archive",
        "ja": "実データのカプセル（MVTec AD 公式アーカイブ）",
    },
    "describe_env": {
        "en": "capsule: the folder in ${env} ({name})",
        "ja": "${env} のフォルダのカプセル（{name}）",
    },
}

# Lecture 1 (notebooks/src/01_vae_iterative_projection.py, vae/evaluate.py).
_VAE = {
    "split_shapes": {
        "en": "train: {train}   test: {test}",
        "ja": "学習: {train}   テスト: {test}",
    },
    "per_type": {
        "en": "test images per type: {counts}",
        "ja": "種類ごとのテスト画像の枚数: {counts}",
    },
    "conv_layers": {
        "en": "{half}: {n} convolution layers",
        "ja": "{half}: 畳み込み層 {n}個",
    },
    "same_as_package": {
        "en": "same x_T as project() up to float32 rounding: {same} (largest difference {diff:.1e})",
        "ja": "project() と同じ x_T か（float32 の丸め誤差を除いて）: {same}（最大の差 {diff:.1e}）",
    },
    "col_method": {"en": "method", "ja": "手法"},
    "col_defect": {"en": "defect", "ja": "欠陥の種類"},
    "col_n": {"en": "n", "ja": "枚数"},
    "col_image": {"en": "image AUROC", "ja": "画像 AUROC"},
    "col_pixel": {"en": "pixel AUROC", "ja": "画素 AUROC"},
    "col_seconds": {"en": "seconds", "ja": "秒"},
    "hardest_easiest": {
        "en": "{method}: hardest type {hard} ({hard_auroc:.3f}), easiest {easy} ({easy_auroc:.3f}) by pixel AUROC",
        "ja": "{method}: 画素 AUROC で最も難しい種類は {hard}（{hard_auroc:.3f}）、最もやさしい種類は {easy}"
              "（{easy_auroc:.3f}）",
    },
    "mean_map": {
        "en": "{method:<9} mean map: good images {good:.4f} | normal pixels of defective images {normal:.4f} | "
              "defect pixels {defect:.4f} | defect / good {ratio:.1f}",
        "ja": "{method:<9} マップの平均: 正常画像 {good:.4f} | 欠陥画像の正常な画素 {normal:.4f} | "
              "欠陥の画素 {defect:.4f} | 欠陥 / 正常 {ratio:.1f}",
    },
    "this_run_capsule": {
        "en": "this run: {data}, {n} test images ({defective} defective); one test set, no interval",
        "ja": "この実行: {data}、テスト画像 {n}枚（欠陥 {defective}枚）。テストセットは一つだけで、信頼区間はありません",
    },
    "versus_both": {
        "en": "{new} vs {old}: pixel AUROC {pixel}; image AUROC {image}",
        "ja": "{new} 対 {old}: 画素 AUROC {pixel}、画像 AUROC {image}",
    },
    "image_grade": {
        "en": "image score: best image AUROC {auroc:.3f} ({method}): {grade} ({strong} >= {strong_from:.2f}, "
              "{usable} >= {usable_from:.2f}, {weak} >= {weak_from:.2f})",
        "ja": "画像スコア: 最良の画像 AUROC {auroc:.3f}（{method}）: {grade}（{strong} >= {strong_from:.2f}、"
              "{usable} >= {usable_from:.2f}、{weak} >= {weak_from:.2f}）",
    },
    "grade_strong": {"en": "strong", "ja": "高い"},
    "grade_usable": {"en": "usable", "ja": "実用的"},
    "grade_weak": {"en": "weak", "ja": "低い"},
    "grade_near_chance": {"en": "near chance", "ja": "偶然と同程度"},
    "sweep_t": {
        "en": "t = {t:>3}: pixel AUROC {auroc:.3f}",
        "ja": "t = {t:>3}: 画素 AUROC {auroc:.3f}",
    },
    "sweep_t_lecture": {
        "en": "t = {t:>3}: pixel AUROC {auroc:.3f}   <- the lecture's T",
        "ja": "t = {t:>3}: 画素 AUROC {auroc:.3f}   <- 講義の T",
    },
    "sweep_plain": {
        "en": "plain residual |x_0 - f_VAE(x_0)| on the same {n} images: {auroc:.3f}",
        "ja": "単純な残差 |x_0 - f_VAE(x_0)|（同じ {n}枚）: {auroc:.3f}",
    },
    "sweep_change": {
        "en": "change from t = T to t = 2T: {change:+.3f}",
        "ja": "t = T から t = 2T への変化: {change:+.3f}",
    },
}

# Both lectures: one AUROC against another (metrics.versus).
_VERSUS = {
    "versus": {
        "en": "{value:.3f} - {base:.3f} = {diff:+.3f} ({word})",
        "ja": "{value:.3f} - {base:.3f} = {diff:+.3f}（{word}）",
    },
    "versus_missing": {"en": "n/a", "ja": "値なし"},
    "word_ahead": {"en": "ahead", "ja": "上回る"},
    "word_behind": {"en": "behind", "ja": "下回る"},
    "word_level": {"en": "level", "ja": "同等"},
}

# Lecture 2 (notebooks/src/02_anogan.py).
_ANOGAN = {
    "gan_data": {
        "en": "source: {source} | train {train} | held-out normal {val} | test {test} ({anomalies} anomalies)",
        "ja": "データ: {source} | 学習 {train} | 取り分けた正常画像 {val}枚 | テスト {test}枚（異常 {anomalies}枚）",
    },
    "gan_shapes": {
        "en": "z {z} -> G(z) {fake} -> D: logit {logit} feature {feature}",
        "ja": "z {z} -> G(z) {fake} -> D: ロジット {logit}、特徴 {feature}",
    },
    "searched": {
        "en": "searched {n} images x {steps} steps in {seconds:.1f} s ({rate:.1f} images/s)",
        "ja": "{n}枚 x {steps}ステップを {seconds:.1f}秒で探索しました（毎秒 {rate:.1f}枚）",
    },
    "gan_aurocs": {
        "en": "AUROC  A(x): {score:.3f} | residual only: {residual:.3f} | discrimination only: {discrimination:.3f}",
        "ja": "AUROC  A(x): {score:.3f} | 残差の項だけ: {residual:.3f} | 識別の項だけ: {discrimination:.3f}",
    },
    "encoder_auroc": {
        "en": "encoder: AUROC {auroc:.3f} in {seconds:.2f} s ({times:.0f}x faster than the search)",
        "ja": "エンコーダ: AUROC {auroc:.3f}、{seconds:.2f}秒（探索の {times:.0f}倍の速さ）",
    },
    "refined_auroc": {
        "en": "E(x) + {steps} search steps: AUROC {auroc:.3f} in {seconds:.1f} s",
        "ja": "E(x) + 探索 {steps}ステップ: AUROC {auroc:.3f}、{seconds:.1f}秒",
    },
    "gan_this_run": {
        "en": "this run: {source} digits, {n} test images ({anomalies} anomalies), {steps}-step search; "
              "one test set, no interval",
        "ja": "この実行: {source} の数字、テスト画像 {n}枚（異常 {anomalies}枚）、探索 {steps}ステップ。"
              "テストセットは一つだけで、信頼区間はありません",
    },
    "versus_image": {
        "en": "{new} vs {old}: image AUROC {image}",
        "ja": "{new} 対 {old}: 画像 AUROC {image}",
    },
    "gan_reference": {
        "en": "reference, real MNIST, full settings ({file}): {steps}-step search {search:.3f}, "
              "encoder {encoder:.3f}, encoder + {short} steps {refined:.3f}",
        "ja": "参考（MNIST の実データ、本来の設定、{file}）: 探索 {steps}ステップ {search:.3f}、"
              "エンコーダ {encoder:.3f}、エンコーダ + 探索 {short}ステップ {refined:.3f}",
    },
    "val_searched": {
        "en": "held-out normal images: {n} searched in {seconds:.1f} s",
        "ja": "取り分けた正常画像: {n}枚を {seconds:.1f}秒で探索しました",
    },
    "by_lambda": {
        "en": "AUROC at the z searched with lambda = {lam}, re-weighted: {values}",
        "ja": "lambda = {lam} で探索した z での AUROC（項の重みを付け替えたもの）: {values}",
    },
}

RESULTS = {**_DATASETS, **_VAE, **_VERSUS, **_ANOGAN}
