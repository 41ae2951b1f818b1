# Ondo 温度 — 日本語 UI テキスト（既定の言語）
# en/main.ftl と同じキーをすべて持つこと（i18n.rs のテストで確認）。

## 共通ナビゲーション
nav-label = メインメニュー
nav-skip = 本文へ移動
nav-leads = リード
nav-companies = 企業
nav-api-docs = API ドキュメント
nav-logout = ログアウト

## ログイン
login-title = ログイン
login-tagline = 見込み客の「温度」を、チームで見える化。
login-email = メールアドレス
login-password = パスワード
login-submit = ログイン
login-expired = 画面の有効期限が切れました。もう一度ログインしてください。
login-locked = ログインの失敗が続いたため、一時的にロックしています。{ $minutes }分後に再度お試しください。
login-failed = メールアドレスまたはパスワードが正しくありません。
password-too-short = パスワードは10文字以上で設定してください。

## エラー画面
error-not-found = ページが見つかりません
error-not-found-body = お探しのページは存在しないか、削除された可能性があります。
error-forbidden = アクセス権限がありません
error-forbidden-body = この操作を行う権限がありません。画面を再読み込みしてからもう一度お試しください。
error-bad-request = 入力内容に誤りがあります
error-internal = システムエラーが発生しました
error-internal-body = 処理中に問題が発生しました。しばらくしてから再度お試しください。解決しない場合は管理者にお問い合わせください。
error-busy = データベースが処理中です
error-busy-body = 別の書き込み（インポートなど）がデータベースを使用しています。しばらくしてから再度お試しください。
error-home = トップへ戻る

## 項目名
field-name = 氏名
field-kana = フリガナ
field-email = メールアドレス
field-phone = 電話番号
field-mobile = 携帯電話
field-company = 会社名
field-department = 部署
field-title = 役職
field-postcode = 郵便番号
field-address = 住所
field-owner = 担当者
field-status = ステータス
field-status-reason = ステータス変更の理由
field-lost-reason = 失注・休眠の理由
field-renurture-on = 再アプローチ予定日
field-source = 流入元
field-consent = メール配信の同意
field-consent-source = 同意の取得方法
field-consent-at = 同意日
field-email-opt-out = メール配信
field-email-opt-out-check = メール配信を停止する（オプトアウト）
field-corporate-number = 法人番号
field-domain = ドメイン
field-created = 作成日
field-updated = 更新日

## 絞り込み・ページ送り
filter-search = 検索
filter-submit = 絞り込み
filter-clear = 条件をクリア
leads-export = エクスポート
filter-company = 企業で絞り込み中
filter-all = すべて
filter-owner-me = 自分
filter-owner-none = 未割り当て
owner-none = 未割り当て
pager-label = ページ送り
pager-first = 最初へ
pager-prev = 前へ
pager-next = 次へ

## リード一覧
leads-title = リード
leads-total = 全{ $count }件
leads-new = 新規リード
leads-status-chips = ステータス別の件数
leads-search-placeholder = 氏名・フリガナ・会社・メール・電話で検索
leads-col-dept-title = 部署・役職
leads-empty = 条件に一致するリードはありません。
leads-empty-action = 新しいリードを登録する

## リード詳細
lead-edit = 編集
lead-other-contact = 別の連絡先
lead-contact = 連絡先
lead-company = 会社情報
lead-company-leads = この会社のリードを表示
lead-colleagues = 同じ会社のリード
lead-no-colleagues = 同じ会社のリードはまだいません。
lead-custom-fields = カスタム項目
lead-opted-out = 配信停止
lead-opt-in-ok = 配信可
lead-touchpoints = 接点（流入経路）
lead-no-touchpoints = 接点の記録はありません。
lead-timeline = タイムライン
lead-no-timeline = 履歴はまだありません。
timeline-kind-status = ステータス変更
timeline-kind-activity = 営業活動
timeline-kind-event = Web行動
timeline-created = リード登録（{ $status }）

## 営業活動
activity-call = 電話
activity-email = メール
activity-meeting = 商談・打ち合わせ
activity-note = メモ

## Web行動
event-email-open = メール開封
event-email-click = メール内リンクのクリック
event-page-view = ページ閲覧
event-download = 資料ダウンロード
event-form-submit = フォーム送信
event-webinar-attend = ウェビナー参加

## 接点の種類
touchpoint-trade-show = 展示会
touchpoint-form = Webフォーム
touchpoint-document-request = 資料請求
touchpoint-webinar = ウェビナー
touchpoint-import = CSV取り込み
touchpoint-api = API連携
touchpoint-manual = 手入力
touchpoint-business-card = 名刺交換

## 同意（特定電子メール法）
consent-business-card = 名刺交換（名刺の提供）
consent-form-opt-in = フォームでの同意
consent-existing-relationship = 既存の取引関係
consent-other = その他
consent-none = 記録なし
source-manual = 手入力

## リード登録・編集フォーム
form-new-title = 新規リード
form-edit-title = リードを編集
form-section-basic = 基本情報
form-section-company = 会社
form-section-status = 担当とステータス
form-section-consent = 同意（特定電子メール法）
form-consent-note = 広告・宣伝メールを送るには、受信者の同意や名刺の提供など、特定電子メール法で認められた根拠が必要です。取得方法と日付を記録してください。
form-required = 必須
form-has-errors = 入力内容に誤りがあります。赤字の項目を確認してください。
form-save = 保存
form-cancel = キャンセル
form-ph-name = 山田 太郎
form-ph-kana = ヤマダ タロウ
form-ph-email = taro.yamada@example.co.jp
form-ph-phone = 03-1234-5678
form-ph-mobile = 090-1234-5678
form-ph-company = 株式会社サンプル
form-ph-postcode = 100-0001
form-hint-kana = 全角カタカナで入力してください。
form-hint-company = 「株式会社」などの法人格を含めて入力してください。既存の企業があれば自動で紐づけます。
form-hint-status-reason = ステータスを変更したときの理由です。タイムラインに記録されます。
form-hint-lost-reason = ステータスが「失注/休眠」のときに選択してください。
form-hint-opt-out = チェックすると、このリードにはメールを送信しません。

## 入力エラー
invalid-name = 氏名を入力してください
invalid-kana = フリガナは全角カタカナで入力してください
invalid-email = メールアドレスの形式が正しくありません
invalid-phone = 電話番号の形式が正しくありません
invalid-mobile = 携帯電話番号の形式が正しくありません
invalid-postcode = 郵便番号は7桁の数字で入力してください（例: 100-0001）
invalid-company = 会社名を確認してください
invalid-corporate-number = 法人番号は13桁の数字で入力してください
invalid-owner = 担当者を選択し直してください
invalid-status = ステータスを選択し直してください
invalid-lost-reason = 失注・休眠の理由を確認してください
invalid-consent-source = 同意の取得方法を選択し直してください
invalid-consent-at = 同意日の日付が正しくありません
invalid-title = 役職が長すぎます
invalid-department = 部署名が長すぎます
invalid-address = 住所が長すぎます
invalid-status-reason = ステータス変更の理由が長すぎます

## 企業一覧
companies-title = 企業
companies-search-placeholder = 会社名で検索
companies-col-name = 会社名
companies-col-leads = リード数
companies-empty = 条件に一致する企業はありません。

nav-imports = インポート
import-title = インポート
import-intro = 名刺管理アプリ（Eight・Sansan）のCSV、Excel（.xlsx）、ウェビナー参加者レポート（Zoom）、vCard、各種CSV（Shift_JIS・UTF-8）を取り込めます。同じ人は1件にまとめられ、取り込みのたびに接点として記録されます。
import-file = ファイル
import-source = 流入元の名前
import-source-hint = 例：展示会 2026秋。各行がこの名前の接点になります（空欄ならファイル名）。
import-upload = アップロードしてプレビュー
import-no-file = ファイルを選んでください。
import-too-large = ファイルが大きすぎます（上限 200 MB）。
import-recent = これまでのインポート
import-none = まだインポートはありません。
import-col-when = 日時
import-col-file = ファイル
import-col-rows = 行数
import-col-created = 新規
import-col-merged = 統合
import-col-updated = 更新
import-col-skipped = スキップ
import-col-errors = エラー
import-preview-title = インポートのプレビュー
import-preview-limited = このプレビューはファイルの先頭 { $rows } 行の計画です。残りの行はインポートの実行時に読み込まれ、結果のレポートにすべての行が載ります。
import-detected = 検出結果
import-encoding = 文字コード
import-layout = 形式
import-mode = 取り込み方法
import-mode-upsert = 新規作成と既存リードへの統合（推奨）
import-mode-new = 新規作成のみ（既存と一致する行はスキップ）
import-mode-update = 既存リードの更新のみ
import-mapping = 列の対応付け
import-col-header = 列見出し
import-col-samples = 値の例
import-col-target = 取り込み先
import-target-custom = カスタム項目
import-target-ignore = 取り込まない
import-refresh = 対応付けを反映して再プレビュー
import-run = インポートを実行
import-plan = 実行するとこうなります（まだ何も書き込まれていません）
import-rejected = 取り込めない行
import-warnings = 値を保持した行（要確認）
import-candidates = 同一人物の可能性がある組（確認待ち）
import-file-error = このファイルは取り込めません
import-report-title = インポート結果
import-download-errors = エラー行をCSVでダウンロード
import-back = インポート一覧へ
import-row = 行
import-message = 内容
import-done = すべての行を取り込みました。

dup-title = 重複の確認
dup-intro = 同一人物の可能性があるリードの組です。同じ人なら統合すると、接点・行動・活動・ステータス履歴はすべて古い方のリードにまとまります（統合は元に戻せます）。
dup-none = 確認待ちの組はありません。
dup-reason = 理由
dup-merge = 統合する
dup-not-same = 別人
dup-undo = 統合を元に戻す
dup-merged-from = 統合済み
nav-duplicates = 重複の確認
candidate-same-name-and-company = 同じ会社の同姓同名
candidate-variant-spelling = 異体字（髙/高など）の違い
candidate-same-reading-same-company = 同じ会社で読みが同じ
candidate-similar-name-same-company = 同じ会社で氏名が1文字違い
candidate-same-email-local-same-domain = 同じドメインでメールの@前が同じ
candidate-same-company-name-different-form = 会社名が同じで法人格が異なる
candidate-same-romaji-same-company = 同じ会社で同じ氏名のローマ字・かな表記
candidate-both-match-one-record = 取り込んだ1件（インポートの行・フォーム・API）が両方と同一人物と判定
lead-other-owner = 同じ会社の { $name } を別の担当者が担当しています（二重アプローチに注意）
