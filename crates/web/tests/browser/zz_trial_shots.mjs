import { chromium } from 'playwright-core';
const BASE='http://127.0.0.1:8765';
const users={admin:'admin@tegoed.example',credit:'credit@tegoed.example',collector:'collector@tegoed.example',sales:'sanne.de.boer@tegoed-demo.example'};
const pages=['/today','/my','/customers','/customers/C000067','/customers/C000115','/customers/C001442','/check','/dunning','/dunning/confirm','/payments','/scoreboard','/training/story','/settings','/users','/settings/segments/watch_list','/settings/template?name=critical%2Freminder.nl.txt'];
const only=process.argv[2]?process.argv[2].split(','):Object.keys(users);
const browser=await chromium.launch({executablePath:'/usr/bin/chromium',args:['--headless','--no-sandbox','--disable-gpu']});
const results=[];
for (const role of only){
  const ctx=await browser.newContext({viewport:{width:1366,height:900}});
  const page=await ctx.newPage();
  await page.goto(BASE+'/login');
  await page.fill('input[name=email]',users[role]); await page.fill('input[name=password]','tegoed-demo');
  await Promise.all([page.waitForNavigation(),page.click('button[type=submit]')]);
  for (const lang of ['nl','en']){
    const cur=await page.getAttribute('html','lang');
    if(cur!==lang){ await Promise.all([page.waitForNavigation(),page.click(`form[action="/account/language"] button`)]); }
    for (const w of [1366,390]){
      await page.setViewportSize({width:w,height:900});
      for (const p of pages){
        const resp=await page.goto(BASE+p);
        const name=`${role}_${lang}_${w}_${p.replace(/[\/?=%]/g,'_')}`;
        await page.screenshot({path:`/tmp/trial/shots/${name}.png`,fullPage:true});
        const info=await page.evaluate(()=>{
          const out={docW:document.documentElement.scrollWidth,winW:window.innerWidth,over:[]};
          for(const el of document.querySelectorAll('body *')){
            const r=el.getBoundingClientRect();
            if(r.width===0) continue;
            const cs=getComputedStyle(el);
            if(el.scrollWidth>el.clientWidth+1 && (cs.overflowX==='hidden'||cs.overflowX==='clip'||cs.textOverflow==='ellipsis') && el.clientWidth>0){ out.over.push('clip:'+el.tagName+'.'+el.className+':'+(el.innerText||'').slice(0,60).replace(/\s+/g,' '));}
            if(r.right>window.innerWidth+2 && !el.closest('.table-wrap,.scroll,[style*=overflow]')){
              let p=el.parentElement, scrolled=false;
              while(p){const c=getComputedStyle(p); if(c.overflowX==='auto'||c.overflowX==='scroll'){scrolled=true;break;} p=p.parentElement;}
              if(!scrolled) out.over.push('right:'+el.tagName+'.'+el.className+':'+Math.round(r.right)+':'+(el.innerText||'').slice(0,50).replace(/\s+/g,' '));
            }
          }
          out.over=out.over.slice(0,12);
          return out;
        });
        results.push({name,status:resp.status(),...info});
      }
    }
  }
  await ctx.close();
}
await browser.close();
import fs from 'fs';
fs.writeFileSync('/tmp/trial/layout_'+only.join('_')+'.json',JSON.stringify(results,null,1));
console.log('done',results.length);
