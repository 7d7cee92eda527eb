CREATE INDEX "targets_classification_importance_idx" ON "targets" USING btree ("classification","importance");--> statement-breakpoint
CREATE INDEX "targets_has_optical_created_idx" ON "targets" USING btree ("created","id") WHERE has_optical;--> statement-breakpoint
CREATE INDEX "targets_has_infrared_created_idx" ON "targets" USING btree ("created","id") WHERE has_infrared;--> statement-breakpoint
CREATE INDEX "targets_has_radio_created_idx" ON "targets" USING btree ("created","id") WHERE has_radio;--> statement-breakpoint
CREATE INDEX "targets_has_xray_created_idx" ON "targets" USING btree ("created","id") WHERE has_xray;--> statement-breakpoint
CREATE INDEX "targets_has_gamma_created_idx" ON "targets" USING btree ("created","id") WHERE has_gamma;--> statement-breakpoint
CREATE INDEX "targets_has_polarimetry_created_idx" ON "targets" USING btree ("created","id") WHERE has_polarimetry;