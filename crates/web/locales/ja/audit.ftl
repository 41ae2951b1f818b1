# 監査ログ（en/audit.ftl と同じキーを持つこと）

nav-audit = 監査ログ
audit-title = 監査ログ
audit-intro = リード・企業・ルール・ユーザーへの変更を、誰がいつ何をどう変えたか新しい順に表示します。
audit-empty = 条件に合う記録はありません。
audit-col-when = 日時
audit-col-actor = 操作した人
audit-col-entity = 対象
audit-col-action = 操作
audit-col-changes = 変更内容（変更前 → 変更後）
audit-filter-lead = リードID
audit-newest = 最新
audit-older = さらに古い記録
audit-actor-system = システム

audit-entity-lead = リード
audit-entity-company = 企業
audit-entity-user = ユーザー
audit-entity-scoring-rules = スコアリングルール
audit-entity-status-definition = ステータス定義
audit-entity-lost-reasons = 失注理由
audit-entity-notification-channel = 通知先
audit-entity-tracking-settings = トラッキング設定
audit-entity-form = フォーム
audit-entity-import = インポート
audit-entity-candidate-pair = 重複候補

audit-action-create = 作成
audit-action-update = 更新
audit-action-delete = 削除
audit-action-save = 保存
audit-action-reassign = 担当者の変更
audit-action-assign = 担当者の自動割り当て
audit-action-activity = 活動の記録
audit-action-handoff = ステータスの自動変更
audit-action-merge = 統合
audit-action-unmerge = 統合の取り消し
audit-action-import = インポート
audit-action-not-same = 別人と判定
audit-action-sign-in = サインイン
audit-action-token-create = APIトークンの発行
audit-action-role-change = ロールの変更

field-reason = 理由
audit-entity-task = タスク
audit-entity-workflow-settings = スピード対応の設定
audit-action-complete = 完了
audit-action-reopen = 再開
audit-action-sign-in-failed = サインイン失敗
audit-action-sign-out = サインアウト
